# stage2_clinicdb_5shot_64px_conservative.py with LoRA instead of full
# fine-tuning (see configs/_base_/models/lora_unet_tiny.py). Checkpoints keep the LoRA layers;
# FewShotAlignment.merged_generator() folds them into plain weights (tools/export_generator.py).
#   python tools/train.py projects/alignment_studies/configs/stage2_clinicdb_5shot_64px_lora.py
_base_ = ['./stage2_clinicdb_5shot_64px_conservative.py',
          '../../../configs/_base_/models/lora_unet_tiny.py']
model = dict(lora={{_base_.lora}})
# The usual LoRA learning rate, 10x that of full fine-tuning.
optim_wrapper = dict(optimizer=dict(lr=1e-3))
