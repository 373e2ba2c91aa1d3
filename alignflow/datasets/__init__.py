"""Datasets, loading transforms and procedural toy data for image-mask segmentation."""
from .fundus import FundusDiscCupDataset
from .image_mask import IMG_EXTENSIONS, ImageMaskDataset
from .polyp import PolypDataset
from .references import (ReferenceSplit, build_reference_split, list_images, load_images,
                         read_reference_split, resolve_image_folder, save_reference_split,
                         split_references)
from .retina import RetinalVesselDataset
from .synthetic import RealSyntheticMix, SyntheticSegDataset
from .toy import (TOY_RENDER_VERSION, ToyPolypDataset, toy_cache_dir, toy_sample_seed,
                  write_toy_dataset)
from .toy_scene import ToyDomain, image_hw, render_toy_pair
from .transforms import LoadBinaryMask, LoadCheckedImage

__all__ = [
    'FundusDiscCupDataset', 'IMG_EXTENSIONS', 'ImageMaskDataset', 'PolypDataset',
    'RealSyntheticMix',
    'RetinalVesselDataset', 'SyntheticSegDataset',
    'TOY_RENDER_VERSION', 'ToyPolypDataset', 'toy_cache_dir', 'toy_sample_seed',
    'write_toy_dataset', 'ToyDomain', 'image_hw', 'render_toy_pair', 'LoadBinaryMask',
    'LoadCheckedImage', 'ReferenceSplit', 'build_reference_split', 'list_images', 'load_images',
    'read_reference_split', 'resolve_image_folder', 'save_reference_split', 'split_references'
]
from .mask_io import MaskError, check_mask_files, read_mask  # noqa: E402

__all__ += ['MaskError', 'check_mask_files', 'read_mask']
