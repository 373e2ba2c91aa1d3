"""Stage 1's images for one training batch, for the reward parts that measure against them."""
from typing import Callable, List, Optional

from torch import Tensor


class Stage1Painter:
    """Stage 1's images for the masks of one batch, painted on request (without gradients):
    from the batch's start noise, the noise the aligned model samples its batch from too
    (drawn on first use), or from fresh noise.

    Args:
        paint: (B, C, H, W) noise -> (B, C, H, W) stage 1's images for the batch's masks.
        draw_noise: () -> (B, C, H, W) fresh standard normal noise.
    """

    def __init__(self, paint: Callable[[Tensor], Tensor], draw_noise: Callable[[], Tensor]):
        self.paint = paint
        self.draw_noise = draw_noise
        self._noise: Optional[Tensor] = None

    @property
    def noise(self) -> Tensor:
        """(B, C, H, W) the batch's start noise."""
        if self._noise is None:
            self._noise = self.draw_noise()
        return self._noise

    def from_batch_noise(self) -> Tensor:
        """(B, C, H, W) what stage 1 paints from the batch's start noise."""
        return self.paint(self.noise)

    def from_fresh_noise(self, count: int) -> List[Tensor]:
        """``count`` (B, C, H, W) batches stage 1 paints from fresh noise."""
        return [self.paint(self.draw_noise()) for _ in range(count)]
