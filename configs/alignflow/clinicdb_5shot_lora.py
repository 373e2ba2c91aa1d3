# clinicdb_5shot.py with LoRA (rank 4) instead of full fine-tuning: low-rank updates of every
# attention qkv/proj conv and of the decoder's convs, all stage-1 weights frozen. Checkpoints
# keep the LoRA layers; FewShotAlignment.merged_generator() folds them into plain weights.
#   python tools/train.py configs/alignflow/polyp_stage1.py   # stage 1 (once)
#   python tools/train.py configs/alignflow/clinicdb_5shot_lora.py
_base_ = ['./clinicdb_5shot.py']
# Regexes over module names of model.generator.velocity_net (ConditionalUNet), e.g.
# middle_block.1.qkv, output_blocks.0.0.in_layers.2, output_blocks.1.2.conv (an Upsample).
lora = dict(
    rank=4,
    alpha=4.0,
    targets=[r'\.(qkv|proj)$',
             r'^output_blocks\.\d+\.\d+\.(in_layers\.2|out_layers\.2|skip|conv)$'])
model = dict(lora=lora)
# The usual LoRA learning rate, 10x that of full fine-tuning (not tuned here).
optim_wrapper = dict(optimizer=dict(lr=1e-3))
