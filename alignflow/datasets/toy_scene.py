"""Procedural colonoscopy-like image-mask pairs (numpy + OpenCV, no download).

A frame is a view down a lit tube: tissue texture with fine vessels, haustral folds ringed around
a dark lumen, light falling off with depth, vignetting and specular glints. One or two polyp-like
lesions (smooth random closed shapes) sit on the wall, shaded as domes with their own texture;
the mask is exactly the filled lesion polygons. A :class:`ToyDomain` sets the look, so two domains
mimic two hospitals' endoscopes. Rendering is deterministic for a given seed, size and domain.
"""
import dataclasses
from dataclasses import dataclass
from typing import Dict, Tuple, Union

import cv2
import numpy as np

Color = Tuple[float, float, float]
Size = Union[int, Tuple[int, int]]


@dataclass(frozen=True)
class ToyDomain:
    """Appearance of one toy "endoscope"; colours are BGR in [0, 255].

    ``texture_scale`` is a fraction of the short side and ``blur_sigma`` is in pixels of a
    128 px frame, so a domain looks the same at every size.
    """

    tissue_color: Color = (95., 105., 205.)
    lesion_color: Color = (80., 85., 215.)
    vessel_color: Color = (60., 50., 150.)
    light_strength: float = 1.0  # overall exposure
    light_falloff: float = 0.85  # how dark the far lumen gets, 0..1
    light_gradient: float = 0.2  # extra left-right / top-bottom illumination slope
    vignette: float = 0.35  # darkening at the corners, 0..1
    specular: float = 0.6  # amount of white glints, 0..1
    fold_strength: float = 0.35  # contrast of haustral folds
    texture_scale: float = 0.08  # size of tissue texture blobs, fraction of the frame
    texture_contrast: float = 0.12
    blur_sigma: float = 0.5  # optical blur in px at 128 px
    noise_std: float = 2.0  # sensor noise, intensity units
    frame_cut: float = 0.12  # corners cut off the octagonal field of view, 0 = none

    @classmethod
    def source(cls) -> 'ToyDomain':
        """Pink-red mucosa, bright even light, fine texture, sharp optics."""
        return cls()

    @classmethod
    def target(cls) -> 'ToyDomain':
        """Yellow-orange mucosa, dark vignette, coarser texture, blurrier optics."""
        return cls(
            tissue_color=(70., 150., 225.),
            lesion_color=(55., 120., 225.),
            vessel_color=(50., 90., 170.),
            light_strength=0.9,
            light_falloff=0.95,
            light_gradient=0.35,
            vignette=0.75,
            specular=0.35,
            fold_strength=0.45,
            texture_scale=0.18,
            texture_contrast=0.18,
            blur_sigma=1.6,
            noise_std=4.0,
            frame_cut=0.25)

    @classmethod
    def build(cls, spec: Union[str, Dict, 'ToyDomain']) -> 'ToyDomain':
        """A domain from a preset name (``'source'``/``'target'``), a dict of fields or itself."""
        if isinstance(spec, ToyDomain):
            return spec
        if isinstance(spec, str):
            if spec not in ('source', 'target'):
                raise ValueError(f"Unknown toy domain {spec!r}: use 'source', 'target' or a "
                                 f'dict of ToyDomain fields.')
            return getattr(cls, spec)()
        if isinstance(spec, dict):
            fields = {f.name for f in dataclasses.fields(cls)}
            unknown = sorted(set(spec) - fields)
            if unknown:
                raise ValueError(f'Unknown ToyDomain fields {unknown}; valid: {sorted(fields)}.')
            return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()})
        raise TypeError(f'domain must be a str, dict or ToyDomain, got {type(spec).__name__}.')


def image_hw(size: Size) -> Tuple[int, int]:
    """``(h, w)`` from ``s`` (square) or ``(h, w)``."""
    return (int(size), int(size)) if isinstance(size, int) else (int(size[0]), int(size[1]))


def _smooth_noise(rng: np.random.Generator, hw: Tuple[int, int], scale: float) -> np.ndarray:
    """Zero-mean smooth noise (std about 1) with blobs about ``scale`` x the short side."""
    h, w = hw
    step = max(scale * min(h, w), 1.0)  # pixels between random control points
    gh, gw = int(h / step) + 4, int(w / step) + 4
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    big = cv2.resize(grid, (int(gw * step), int(gh * step)), interpolation=cv2.INTER_CUBIC)
    top, left = (big.shape[0] - h) // 2, (big.shape[1] - w) // 2
    return big[top:top + h, left:left + w]


def _lesion_polygon(rng: np.random.Generator, center: np.ndarray, radius: float) -> np.ndarray:
    """A smooth closed blob: a circle whose radius is perturbed by a few Fourier modes."""
    theta = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 5):
        r += rng.uniform(0, 0.16 / k) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    r *= radius * rng.uniform(0.75, 1.0, 1) ** np.cos(2 * (theta - rng.uniform(0, np.pi)))
    pts = center + np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    return np.round(pts).astype(np.int32)


def render_toy_pair(seed: int,
                    size: Size = 64,
                    domain: Union[str, Dict, ToyDomain] = 'source'
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """Render one colonoscopy-like frame and its lesion mask.

    Args:
        seed: Seed of the scene (lumen, folds, lesions, noise); equal seeds give equal pairs.
        size: Output size, ``s`` for ``s x s`` or ``(h, w)``.
        domain: Appearance, see :meth:`ToyDomain.build`.

    Returns:
        ``(image, mask)``: ``image`` uint8 ``(H, W, 3)`` in BGR (OpenCV/mmcv order), ``mask``
        uint8 ``(H, W)`` with values in {0, 255}, 255 on the lesions.
    """
    dom = ToyDomain.build(domain)
    h, w = image_hw(size)
    s = float(min(h, w))
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = (xx - (w - 1) / 2) / s, (yy - (h - 1) / 2) / s  # centred, unit = short side

    # Tube geometry: a lumen (far, dark) and haustral folds ringed around it. The wall's depth
    # grows like 1/rho, so folds at regular depth steps are rings at regular steps of 1/rho.
    lumen = rng.uniform(-0.35, 0.35, 2)
    lumen_r = rng.uniform(0.05, 0.1)
    rho = np.hypot(u - lumen[0], v - lumen[1]) * (1 + 0.2 * _smooth_noise(rng, (h, w), 0.35))
    rho = np.maximum(rho, 1e-3)
    phase = 2 * np.pi * (rng.uniform(0.25, 0.4) / rho + rng.uniform(0, 1))
    fold = np.sin(phase + 0.8 * np.sin(phase))  # bright crest, soft shadow behind it
    arcs = np.clip(0.7 + 0.8 * _smooth_noise(rng, (h, w), 0.5), 0, 1.2)  # folds are partial
    fold_light = 1 + dom.fold_strength * fold * arcs * np.clip(rho / (2 * lumen_r) - 1, 0, 1)

    # Illumination from the tip: falloff with depth, a slope, a vignette.
    near = np.clip(rho / (4 * lumen_r), 0, 1) ** 1.5
    light = (1 - dom.light_falloff) + dom.light_falloff * near
    slope = rng.uniform(-1, 1, 2)
    light *= 1 + dom.light_gradient * (slope[0] * u + slope[1] * v)
    corner = np.hypot(u * s / w, v * s / h) * np.sqrt(2)  # 0 at the centre, 1 at the corners
    light *= dom.light_strength * (1 - dom.vignette * corner ** 2)

    # Mucosa: coloured texture with a network of fine vessels.
    tex = 0.7 * _smooth_noise(rng, (h, w), dom.texture_scale) + \
        0.3 * _smooth_noise(rng, (h, w), dom.texture_scale / 2.5)
    img = np.asarray(dom.tissue_color, np.float32) * (1 + dom.texture_contrast * tex)[..., None]
    vessels = np.exp(-(_smooth_noise(rng, (h, w), 0.12) / 0.06) ** 2) * \
        np.clip(_smooth_noise(rng, (h, w), 0.3) + 0.3, 0, 1)
    img += (np.asarray(dom.vessel_color, np.float32) - img) * (0.5 * vessels)[..., None]

    # Lesions: 1-2 domes on the lit wall, clear of the lumen.
    mask = np.zeros((h, w), np.uint8)
    height = np.zeros((h, w), np.float32)
    for _ in range(1 + int(rng.random() < 0.35)):
        radius = rng.uniform(0.1, 0.22)
        for _ in range(20):
            center = rng.uniform(0.2, 0.8, 2)
            offset = (center - 0.5) * (w, h) / s - lumen
            if np.hypot(*offset) > 2.5 * lumen_r + radius:
                break
        one = np.zeros((h, w), np.uint8)
        cv2.fillPoly(one, [_lesion_polygon(rng, center * (w, h), radius * s)], 1)
        dist = cv2.distanceTransform(one, cv2.DIST_L2, 3)
        dome = np.sqrt(np.clip(1 - (1 - dist / max(dist.max(), 1e-6)) ** 2, 0, 1))
        height = np.maximum(height, dome * radius * s * 0.8)
        mask |= one
    inside = mask.astype(bool)
    pits = 0.6 * _smooth_noise(rng, (h, w), dom.texture_scale / 2) + \
        0.4 * _smooth_noise(rng, (h, w), dom.texture_scale / 5)
    lesion = np.asarray(dom.lesion_color, np.float32) * \
        (1 + 1.5 * dom.texture_contrast * pits)[..., None]
    img[inside] = lesion[inside]

    # Dome shading (Lambert + Phong glint) with the light at the tip, slightly offset.
    gy, gx = np.gradient(cv2.GaussianBlur(height, (0, 0), max(s / 128, 0.5)))
    normal = np.stack([-gx, -gy, np.ones_like(gx)], axis=-1)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    to_light = np.array([-0.2, -0.3, 1.0], np.float32)
    to_light /= np.linalg.norm(to_light)
    half = to_light + np.array([0, 0, 1], np.float32)
    half /= np.linalg.norm(half)
    lambert = np.clip(normal @ to_light, 0, 1)
    glint = np.clip(normal @ half, 0, 1) ** 150 * inside
    shade = np.where(inside, 0.5 + 0.55 * lambert, fold_light)
    img *= (shade * light)[..., None]

    # Specular glints: small saturated spots on wet fold crests and dome tops.
    wet = np.clip(_smooth_noise(rng, (h, w), 0.03), 0, None) * np.clip(fold, 0, 1) * near
    spots = np.clip((wet - (1.9 - 0.6 * dom.specular)) * 8, 0, 1) + dom.specular * glint
    img += (255 * np.clip(spots, 0, 1) * np.clip(light, 0.3, 1))[..., None]

    sigma = dom.blur_sigma * s / 128
    if sigma > 0.2:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += dom.noise_std * rng.standard_normal(img.shape).astype(np.float32)

    # Octagonal field of view of the endoscope: black outside.
    if dom.frame_cut > 0:
        fov = np.abs(u * s / w) + np.abs(v * s / h) <= 1 - dom.frame_cut
        img[~fov] = np.clip(dom.noise_std * rng.standard_normal((int((~fov).sum()), 3)), 0, 8)
        mask &= fov.astype(np.uint8)
    return np.clip(img, 0, 255).astype(np.uint8), mask * np.uint8(255)
