# clinicdb_5shot_32_conservative.py with LoRA (see clinicdb_5shot_lora.py): CPU-sized evidence config.
_base_ = ['./clinicdb_5shot_32_conservative.py', '../_base_/models/lora_unet_tiny.py']
model = dict(lora={{_base_.lora}})
# The usual LoRA learning rate, 10x that of full fine-tuning (not tuned here).
optim_wrapper = dict(optimizer=dict(lr=1e-3))
