# clinicdb_5shot_conservative.py (the strength LoRA was first measured at) with LoRA instead of
# full fine-tuning (see _base_/models/lora_unet_tiny.py).
# Checkpoints keep the LoRA layers; FewShotAlignment.merged_generator() folds them into plain
# weights.
#   python tools/train.py configs/alignflow/polyp_stage1.py   # stage 1 (once)
#   python tools/train.py configs/alignflow/clinicdb_5shot_lora.py
_base_ = ['./clinicdb_5shot_conservative.py', '../_base_/models/lora_unet_tiny.py']
model = dict(lora={{_base_.lora}})
# The usual LoRA learning rate, 10x that of full fine-tuning (not tuned here).
optim_wrapper = dict(optimizer=dict(lr=1e-3))
