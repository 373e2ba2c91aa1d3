"""The diversity guard's hinge: how far a generated batch falls short of the references'
spread (:func:`alignflow.distances.spread_across_images`)."""
import torch
import torch.nn.functional as F


def diversity_shortfall(generated_spread: torch.Tensor,
                        reference_spread: torch.Tensor) -> torch.Tensor:
    """How far (relative) the generated spread falls short of the references':
    ``relu(1 - generated / reference)``, 0 once the batch is as varied as the references, so
    that the guard never pushes samples apart beyond the target domain's own variety."""
    return F.relu(1 - generated_spread / reference_spread.clamp_min(1e-12))
