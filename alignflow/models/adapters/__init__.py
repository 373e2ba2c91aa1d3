"""Parameter-efficient fine-tuning adapters: LoRA updates, or a named trainable subset."""
from .lora import LoRAConv2d, LoRALinear, inject_lora, merge_lora
from .trainable import train_only

__all__ = ['LoRAConv2d', 'LoRALinear', 'inject_lora', 'merge_lora', 'train_only']
