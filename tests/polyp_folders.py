"""Small polyp-like folders in the Kvasir-SEG layout, for tests that run the tools on them."""
from pathlib import Path

import cv2
import numpy as np


def write_polyp_folder(root: Path, n: int, seed: int, tint=(60, 80, 170), masks=True) -> Path:
    """``n`` polyp-like 72x80 frames (a tinted background with noise and a brighter blob), with
    their binary masks under ``masks/`` when ``masks``; images under ``images/``."""
    rng = np.random.default_rng(seed)
    (root / 'images').mkdir(parents=True)
    if masks:
        (root / 'masks').mkdir()
    for i in range(n):
        image = np.clip(np.array(tint) + rng.normal(0, 20, (72, 80, 3)), 0, 255).astype(np.uint8)
        mask = np.zeros((72, 80), np.uint8)
        centre = tuple(int(c) for c in rng.integers(20, 52, 2))
        cv2.circle(mask, centre, int(rng.integers(6, 14)), 255, -1)
        image[mask > 0] = np.clip(image[mask > 0].astype(int) + 60, 0, 255).astype(np.uint8)
        cv2.imwrite(str(root / 'images' / f'{i:03d}.png'), image)
        if masks:
            cv2.imwrite(str(root / 'masks' / f'{i:03d}.png'), mask)
    return root
