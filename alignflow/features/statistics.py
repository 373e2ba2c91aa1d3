"""Weight-free, differentiable low-level image statistics that capture endoscopic domain shift.

Hospitals differ first in colour cast, illumination fall-off (vignetting), sharpness and sensor
noise; these statistics measure exactly that, need no pretrained weights, and are cheap enough
for a stage-2 reward. Every group is a fixed function of the image, scaled by fixed constants
(no data-dependent state), so features of different runs and datasets are comparable.
"""
import math
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn.functional as F

from alignflow.registry import FEATURE_EXTRACTORS
from .base import FeatureExtractor

# Colour moments: channels are scaled to unit-width ranges; the mean is used as is, the standard
# deviation x2 (0.5 is the largest std of a variable in a unit range), the skewness x0.5
# (channels of natural images have |skewness| <~ 2). Moments use variance + MOMENT_EPS.
STD_SCALE = 2.0
SKEW_SCALE = 0.5
MOMENT_EPS = 1e-4
# Pooled intensities: a g x g grid is scaled by 1 / g, so each grid weighs in a Euclidean norm
# like one value per channel however fine it is.
# Texture: oriented-filter energies E enter as (log(E + ENERGY_EPS) - ENERGY_LOG_CENTER) /
# ENERGY_LOG_SCALE (flat image ~ -1.2, natural ~ 0, strong noise ~ +1); cross terms as the
# correlation coefficient E_kl / sqrt(E_kk E_ll) in [-1, 1].
ENERGY_EPS = 1e-6
ENERGY_LOG_CENTER = -9.0
ENERGY_LOG_SCALE = 4.0
# High frequency: log1p(value in [0, 255] grey levels) / HF_LOG_SCALE (about 1 at 50 levels).
HF_LOG_SCALE = 4.0

COLOR_SPACES = {'rgb': ('R', 'G', 'B'), 'ycbcr': ('Y', 'Cb', 'Cr'), 'lab': ('L', 'a', 'b')}
TEXTURE_FILTERS = ('dx', 'dy', 'dxx', 'dyy', 'dxy')
# Gram entries kept besides the energies: pairs within one derivative order (cross-order terms
# vanish for mirror-symmetric textures and would add only estimation noise).
TEXTURE_PAIRS = ((0, 1), (2, 3), (2, 4), (3, 4))
# BT.601 luma weights.
LUMA = (0.299, 0.587, 0.114)
# linear sRGB -> CIE XYZ (D65), rows X, Y, Z; and the D65 white point.
_RGB_TO_XYZ = ((0.412453, 0.357580, 0.180423), (0.212671, 0.715160, 0.072169),
               (0.019334, 0.119193, 0.950227))
_D65_WHITE = (0.950456, 1.0, 1.088754)
_LAB_DELTA = 6.0 / 29.0


def _to_unit(images: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) in [-1, 1] -> RGB in [0, 1] (not clipped, to keep gradients)."""
    return (images + 1.0) / 2.0


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    """BT.601 luma of RGB (B, 3, H, W) in [0, 1] -> (B, 1, H, W) in [0, 1]."""
    r, g, b = rgb.unbind(1)
    return (LUMA[0] * r + LUMA[1] * g + LUMA[2] * b).unsqueeze(1)


def rgb_to_ycbcr(rgb: torch.Tensor) -> torch.Tensor:
    """RGB [0, 1] -> BT.601 YCbCr: Y in [0, 1], Cb and Cr in [-0.5, 0.5]; (B, 3, H, W)."""
    y = luminance(rgb)
    cb = (rgb[:, 2:3] - y) / (2.0 * (1.0 - LUMA[2]))
    cr = (rgb[:, 0:1] - y) / (2.0 * (1.0 - LUMA[0]))
    return torch.cat([y, cb, cr], 1)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB [0, 1] -> CIE L*a*b* (D65), differentiably; (B, 3, H, W) with L in [0, 100] and a,
    b roughly in [-110, 110]. Branches clamp their inputs so out-of-range values give finite
    gradients."""
    linear = torch.where(rgb > 0.04045, ((rgb.clamp(min=0.04045) + 0.055) / 1.055)**2.4,
                         rgb / 12.92)
    matrix = rgb.new_tensor(_RGB_TO_XYZ) / rgb.new_tensor(_D65_WHITE)[:, None]
    xyz = torch.einsum('kc,bchw->bkhw', matrix, linear)
    threshold = _LAB_DELTA**3
    f = torch.where(xyz > threshold,
                    xyz.clamp(min=threshold)**(1.0 / 3.0),
                    xyz / (3 * _LAB_DELTA**2) + 4.0 / 29.0)
    fx, fy, fz = f.unbind(1)
    return torch.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], 1)


def _color_space(rgb: torch.Tensor, space: str) -> torch.Tensor:
    """RGB [0, 1] -> ``space`` with every channel scaled to a range of width about 1."""
    if space == 'rgb':
        return rgb
    if space == 'ycbcr':
        return rgb_to_ycbcr(rgb)
    return rgb_to_lab(rgb) / rgb.new_tensor([100.0, 200.0, 200.0])[:, None, None]


def color_moments(x: torch.Tensor) -> torch.Tensor:
    """Per-channel mean, scaled std and scaled skewness of (B, C, H, W) -> (B, C, 3)."""
    mean = x.mean(dim=(2, 3))
    centred = x - mean[..., None, None]
    var = centred.pow(2).mean(dim=(2, 3)) + MOMENT_EPS
    skew = centred.pow(3).mean(dim=(2, 3)) / var.pow(1.5)
    return torch.stack([mean, STD_SCALE * var.sqrt(), SKEW_SCALE * skew], -1)


def _conv_same(x: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W) * (K, 1, k, k) odd kernels, replicate padding -> (B, K, H, W)."""
    pad = kernels.shape[-1] // 2
    return F.conv2d(F.pad(x, (pad, pad, pad, pad), mode='replicate'), kernels)


def gaussian_derivative_bank(sigma: float = 1.0) -> torch.Tensor:
    """Oriented Gaussian-derivative filters d/dx, d/dy, d2/dx2, d2/dy2, d2/dxdy at scale
    ``sigma`` -> (5, 1, k, k), k = 2 * ceil(3 sigma) + 1. Each is normalised to respond 1 to the
    matching polynomial (x, y, x^2/2, y^2/2, xy), i.e. in intensity units per pixel (squared)."""
    radius = math.ceil(3 * sigma)
    coords = torch.arange(-radius, radius + 1, dtype=torch.float64)
    y, x = torch.meshgrid(coords, coords, indexing='ij')
    g = torch.exp(-(x**2 + y**2) / (2 * sigma**2))
    g = g / g.sum()
    s2 = sigma**2
    raw = [(-x / s2 * g, x), (-y / s2 * g, y), ((x**2 / s2 - 1) / s2 * g, x**2 / 2),
           ((y**2 / s2 - 1) / s2 * g, y**2 / 2), (x * y / s2**2 * g, x * y)]
    kernels = []
    for k, pattern in raw:
        k = k - k.mean()  # blind to constants, also after truncating the Gaussian
        # F.conv2d correlates: the response to f = pattern at the centre is sum(k * pattern).
        kernels.append(k / (k * pattern).sum())
    return torch.stack(kernels).unsqueeze(1).float()


def gaussian_kernel(sigma: float) -> torch.Tensor:
    """Normalised 2-D Gaussian blur kernel (1, 1, k, k), k = 2 * ceil(3 sigma) + 1."""
    radius = math.ceil(3 * sigma)
    coords = torch.arange(-radius, radius + 1, dtype=torch.float64)
    g = torch.exp(-coords**2 / (2 * sigma**2))
    g = torch.outer(g, g)
    return (g / g.sum()).float()[None, None]


_LAPLACIAN = ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0))


def laplacian_abs_mean(gray: torch.Tensor) -> torch.Tensor:
    """Mean |4-neighbour Laplacian| over the valid interior of (B, 1, H, W) -> (B,)."""
    kernel = gray.new_tensor(_LAPLACIAN)[None, None]
    return F.conv2d(gray, kernel).abs().mean(dim=(1, 2, 3))


def gradient_magnitude_mean(gray: torch.Tensor) -> torch.Tensor:
    """Mean central-difference gradient magnitude over the interior of (B, 1, H, W) -> (B,)."""
    gx = (gray[..., 1:-1, 2:] - gray[..., 1:-1, :-2]) / 2
    gy = (gray[..., 2:, 1:-1] - gray[..., :-2, 1:-1]) / 2
    return (gx.pow(2) + gy.pow(2) + 1e-12).sqrt().mean(dim=(1, 2, 3))


def high_frequency_energy(images: torch.Tensor) -> torch.Tensor:
    """Mean |Laplacian| of the luminance in [0, 255] grey levels: (B, 3, H, W) in [-1, 1] ->
    (B,). Rises with pixel noise and colour speckle, falls with blur; stage 2 reports and
    bounds it as a guard against reward hacking."""
    return laplacian_abs_mean(255.0 * luminance(_to_unit(images.float())))


@FEATURE_EXTRACTORS.register_module()
class LowLevelStatistics(FeatureExtractor):
    """Colour, layout, texture and sharpness statistics: (B, 3, H, W) in [-1, 1] -> (B, D).

    Groups, in this order (each switched off by an empty tuple / False):

    * ``color``: mean, std and skewness of every channel of each of ``color_spaces`` (RGB,
      BT.601 YCbCr, CIE Lab; channels scaled to unit-width ranges) -- 9 per space.
    * ``pooled``: YCbCr averaged on each g x g grid of ``pool_grids`` (Y centred at 0.5, all
      three channels x2, so in [-1, 1], then / g) -- illumination layout, vignetting, black
      borders; 3 * g * g values per grid.
    * ``texture``: on the luminance, unblurred and (if ``blur_sigma``) Gaussian-blurred, at each
      of ``texture_scales`` (2x average-pool levels): the Gram matrix ``mean(R_k R_l)`` of the
      Gaussian-derivative filter responses dx, dy, dxx, dyy, dxy -- the 5 energies as scaled
      log-energies, and as correlation coefficients the 4 entries within one derivative order
      (dx.dy, dxx.dyy, dxx.dxy, dyy.dxy); 9 per copy and scale.
    * ``high_frequency``: mean |Laplacian| and mean gradient magnitude of the luminance in
      [0, 255] grey levels, as log1p(v) / 4.

    Scaling (fixed constants at the top of this module, no data-dependent state) puts every
    feature at order 1 for natural images, so no group dominates a Euclidean kernel by units.
    :attr:`feature_names` names every dimension and :attr:`group_slices` gives each group's
    slice. Images need H, W >= :attr:`min_size` = max(3, 2 ** max(texture_scales)).

    Args:
        color_spaces: Subset of ('rgb', 'ycbcr', 'lab').
        pool_grids: Grid sizes g of the pooled intensities.
        texture_scales: Pyramid levels (0 = full resolution) of the texture group (used
            sorted and without repeats).
        texture_sigma: Scale of the Gaussian-derivative filters, pixels.
        blur_sigma: Blur of the second texture copy (None: unblurred copy only).
        high_frequency: Include the high-frequency group.
    """

    def __init__(self,
                 color_spaces: Sequence[str] = ('rgb', 'ycbcr', 'lab'),
                 pool_grids: Sequence[int] = (4, 2),
                 texture_scales: Sequence[int] = (0, 1, 2),
                 texture_sigma: float = 1.0,
                 blur_sigma: float = 1.5,
                 high_frequency: bool = True) -> None:
        super().__init__()
        unknown = [s for s in color_spaces if s not in COLOR_SPACES]
        if unknown:
            raise ValueError(f'unknown color_spaces {unknown}; choose from {list(COLOR_SPACES)}')
        if any(s < 0 for s in texture_scales) or any(g < 1 for g in pool_grids):
            raise ValueError('texture_scales must be >= 0 and pool_grids >= 1, got '
                             f'{tuple(texture_scales)} and {tuple(pool_grids)}')
        self.color_spaces = tuple(color_spaces)
        self.pool_grids = tuple(pool_grids)
        self.texture_scales = tuple(sorted(set(texture_scales)))
        self.blur_sigma = blur_sigma
        self.high_frequency = high_frequency
        self.register_buffer('derivative_bank', gaussian_derivative_bank(texture_sigma),
                             persistent=False)
        if blur_sigma:
            self.register_buffer('blur_kernel', gaussian_kernel(blur_sigma), persistent=False)
        self.min_size = max([3] + [2**s for s in self.texture_scales])
        self.feature_names, self.group_slices = self._describe()
        if not self.feature_names:
            raise ValueError('every feature group is switched off')
        self._freeze()

    @property
    def feature_dim(self) -> int:
        return len(self.feature_names)

    def _describe(self) -> Tuple[List[str], Dict[str, slice]]:
        """Names of all features and the slice of each enabled group."""
        groups = {
            'color': [f'color/{space}/{ch}/{stat}' for space in self.color_spaces
                      for ch in COLOR_SPACES[space] for stat in ('mean', 'std', 'skew')],
            'pooled': [f'pooled/{g}x{g}/{ch}/{i // g}_{i % g}' for g in self.pool_grids
                       for ch in COLOR_SPACES['ycbcr'] for i in range(g * g)],
            'texture': [f'texture/{copy}/scale{s}/{name}'
                        for copy in self._texture_copies() for s in self.texture_scales
                        for name in self._gram_names()],
            'high_frequency': (['high_frequency/laplacian', 'high_frequency/gradient']
                               if self.high_frequency else []),
        }
        names, slices = [], {}
        for group, group_names in groups.items():
            if group_names:
                slices[group] = slice(len(names), len(names) + len(group_names))
                names += group_names
        return names, slices

    def _texture_copies(self) -> Tuple[str, ...]:
        return ('sharp', 'blurred') if self.blur_sigma else ('sharp',)

    @staticmethod
    def _gram_names() -> List[str]:
        return ([f'energy_{name}' for name in TEXTURE_FILTERS] +
                [f'corr_{TEXTURE_FILTERS[i]}_{TEXTURE_FILTERS[j]}' for i, j in TEXTURE_PAIRS])

    def extract(self, images: torch.Tensor) -> torch.Tensor:
        if min(images.shape[-2:]) < self.min_size:
            raise ValueError(f'LowLevelStatistics needs images of at least {self.min_size}x'
                             f'{self.min_size} pixels, got {tuple(images.shape[-2:])}')
        rgb = _to_unit(images.float())
        gray = luminance(rgb)
        features = []
        if 'color' in self.group_slices:
            features += [color_moments(_color_space(rgb, s)).flatten(1) for s in self.color_spaces]
        if 'pooled' in self.group_slices:
            ycbcr = rgb_to_ycbcr(rgb) - rgb.new_tensor([0.5, 0.0, 0.0])[:, None, None]
            features += [2.0 / g * F.adaptive_avg_pool2d(ycbcr, g).flatten(1)
                         for g in self.pool_grids]
        if 'texture' in self.group_slices:
            copies = [gray]
            if self.blur_sigma:
                copies.append(_conv_same(gray, self.blur_kernel))
            features += [self._texture(copy) for copy in copies]
        if 'high_frequency' in self.group_slices:
            gray255 = 255.0 * gray
            hf = torch.stack([laplacian_abs_mean(gray255), gradient_magnitude_mean(gray255)], 1)
            features.append(torch.log1p(hf) / HF_LOG_SCALE)
        return torch.cat(features, 1).to(images.dtype)

    def _texture(self, gray: torch.Tensor) -> torch.Tensor:
        """Gram features of one luminance copy (B, 1, H, W) at every scale -> (B, 9 * S)."""
        out = []
        level = 0
        for scale in self.texture_scales:
            for _ in range(scale - level):
                gray = F.avg_pool2d(gray, 2)
            level = scale
            responses = _conv_same(gray, self.derivative_bank).flatten(2)  # (B, K, HW)
            gram = responses @ responses.transpose(1, 2) / responses.shape[-1]  # (B, K, K)
            energy = torch.diagonal(gram, dim1=1, dim2=2) + ENERGY_EPS
            i, j = torch.tensor(TEXTURE_PAIRS, device=gram.device).T
            corr = gram[:, i, j] / (energy[:, i] * energy[:, j]).sqrt()
            out += [(torch.log(energy) - ENERGY_LOG_CENTER) / ENERGY_LOG_SCALE, corr]
        return torch.cat(out, 1)
