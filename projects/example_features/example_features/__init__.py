from .colour_moments import ColourMomentsFeatures

__all__ = ['ColourMomentsFeatures']
