"""Parameter-efficient fine-tuning adapters."""
from .lora import LoRAConv2d, LoRALinear, inject_lora, merge_lora

__all__ = ['LoRAConv2d', 'LoRALinear', 'inject_lora', 'merge_lora']
