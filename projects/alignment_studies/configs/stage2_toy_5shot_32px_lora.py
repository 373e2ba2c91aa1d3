# configs/stage2/stage2_toy_5shot_32px.py with LoRA instead of full fine-tuning (see
# configs/_base_/models/lora_unet_tiny.py). Checkpoints keep the LoRA layers;
# FewShotAlignment.merged_generator() folds them into plain weights.
#   python tools/train.py configs/stage1/stage1_toy_32px.py     # stage 1 (once)
#   python tools/train.py projects/alignment_studies/configs/stage2_toy_5shot_32px_lora.py
_base_ = ['../../../configs/stage2/stage2_toy_5shot_32px.py',
          '../../../configs/_base_/models/lora_unet_tiny.py']
model = dict(lora={{_base_.lora}})
# The usual LoRA learning rate, 10x that of full fine-tuning.
optim_wrapper = dict(optimizer=dict(lr=1e-3))
