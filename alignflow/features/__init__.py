"""Frozen, differentiable feature extractors (registry ``FEATURE_EXTRACTORS``) shared by the
stage-2 rewards and the FID/KID metrics."""
from .base import FeatureExtractor
from .concatenated import ConcatenatedFeatures
from .dino import DINO_ARCHS, DINO_WEIGHTS_ENV, DINOViTFeatures, DINOWeightsUnavailable
from .efficientnet_features import EfficientNetLiteFeatures
from .efficientnet_lite import EfficientNetLite, load_efficientnet_lite
from .encoders import RandomConvFeatures, UNetEncoderFeatures, global_pool
from .inception import (FID_WEIGHTS_URL, WEIGHTS_ENV, FIDInceptionV3,
                        InceptionWeightsUnavailable)
from .packaged_weights import (PACKAGED_WEIGHTS, PackagedWeightsMissing, packaged_weights_path,
                               resolve_weights)
from .segmentor import SegmentorEncoderFeatures
from .statistics import LowLevelStatistics, high_frequency_energy

__all__ = [
    'ConcatenatedFeatures', 'DINO_ARCHS', 'DINO_WEIGHTS_ENV', 'DINOViTFeatures',
    'DINOWeightsUnavailable', 'EfficientNetLite', 'EfficientNetLiteFeatures', 'PACKAGED_WEIGHTS',
    'PackagedWeightsMissing', 'FID_WEIGHTS_URL', 'WEIGHTS_ENV', 'FIDInceptionV3',
    'FeatureExtractor', 'InceptionWeightsUnavailable', 'LowLevelStatistics', 'RandomConvFeatures',
    'SegmentorEncoderFeatures', 'UNetEncoderFeatures', 'global_pool', 'high_frequency_energy',
    'load_efficientnet_lite', 'packaged_weights_path', 'resolve_weights'
]
