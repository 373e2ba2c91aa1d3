"""The encoder of a trained mmseg segmentor as a frozen feature extractor."""
from typing import Sequence, Union

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from alignflow.registry import FEATURE_EXTRACTORS, MODELS
from alignflow.utils.checkpoint import load_checkpoint_weights
from .encoders import PooledEncoderFeatures, _check_pool

# Side of the blank image whose single forward pass measures ``feature_dim``: divisible by the
# total stride of common backbones (32) and large enough for their smallest stages.
PROBE_SIZE = 64


@FEATURE_EXTRACTORS.register_module()
class SegmentorEncoderFeatures(PooledEncoderFeatures):
    """Globally pooled encoder features of a trained mmseg segmentor: (B, 3, H, W) in [-1, 1]
    -> (B, D).

    The encoder is what ``EncoderDecoder.extract_feat`` runs: the backbone, then the neck when
    the segmentor has one; only these are built (from the registry ``MODELS``, so mmseg's
    backbones and necks and any registered under ``alignflow``: the tools register them
    through :func:`alignflow.utils.register_all_modules`, call it first from Python) and
    loaded, the decode heads are not. Images are brought to what the segmentor saw in
    training: [0, 255], the channel order its ``data_preprocessor`` hands the backbone, then
    ``(x - mean) / std``.

    Args:
        segmentor: The segmentor's config dict (e.g. ``EncoderDecoder`` with ``backbone``,
            optional ``neck``, ``data_preprocessor``), or the path of an mmseg config file whose
            ``model`` it is.
        checkpoint: mmengine checkpoint of that segmentor; the keys under ``'backbone.'`` (and
            ``'neck.'``) of its ``state_dict`` are loaded strictly.
        levels: Indices into the encoder's outputs (backbone ``out_indices`` or neck outputs;
            -1 = the last).
        pool: ``'mean'`` or ``'mean_std'``, see :func:`~alignflow.features.global_pool`.
    """

    def __init__(self,
                 segmentor: Union[dict, str],
                 checkpoint: str,
                 levels: Sequence[int] = (-1, ),
                 pool: str = 'mean') -> None:
        super().__init__()
        _check_pool(pool)
        if isinstance(segmentor, str):
            segmentor = Config.fromfile(segmentor).model
        # mmseg builds some sub-layers (e.g. UNet's InterpConv) through the default scope.
        with DefaultScope.overwrite_default_scope('alignflow'):
            self.backbone = MODELS.build(segmentor['backbone'])
            self.neck = MODELS.build(segmentor['neck']) if segmentor.get('neck') else None
        self._load(checkpoint)
        self._set_normalisation(segmentor.get('data_preprocessor') or {})
        self._finish(levels, pool, PROBE_SIZE)

    def extract(self, images: torch.Tensor) -> torch.Tensor:
        return super().extract(self.normalise(images))

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """RGB (B, 3, H, W) in [-1, 1] -> the backbone's input (B, 3, H, W)."""
        x = (images + 1.0) * 127.5
        if not self.rgb_input:
            x = x.flip(1)
        return (x - self.mean) / self.std

    def _set_normalisation(self, preprocessor: dict) -> None:
        """Mirror mmseg's ``SegDataPreProcessor`` on our batch (it takes lists of per-image
        BGR tensors, so it is not called itself): images are loaded as BGR and flipped to RGB
        when ``bgr_to_rgb`` or ``rgb_to_bgr`` is set; ``mean``/``std`` (0-255 scale, in the
        backbone's channel order) apply only when given."""
        self.rgb_input = bool(preprocessor.get('bgr_to_rgb') or preprocessor.get('rgb_to_bgr'))
        mean, std = preprocessor.get('mean'), preprocessor.get('std')
        if mean is None:
            mean, std = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1),
                             persistent=False)

    def _encode(self, x: torch.Tensor) -> Sequence[torch.Tensor]:
        maps = self.backbone(x)
        return self.neck(maps) if self.neck is not None else maps

    def _load(self, checkpoint: str) -> None:
        """Load the backbone (and neck) weights of a segmentor checkpoint, strictly."""
        for name, module in (('backbone', self.backbone), ('neck', self.neck)):
            if module is not None:
                load_checkpoint_weights(
                    module, checkpoint, prefix=f'{name}.', what=f'the {name} of the segmentor '
                    'config', hint='pass the config the checkpoint was trained with')
