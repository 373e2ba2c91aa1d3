# LoRA (rank 4) for stage 2 of a ConditionalUNet: low-rank updates of every attention qkv/proj
# conv and of the decoder's convs, all stage-1 weights frozen. Use it next to a stage-2 config:
#   _base_ = ['./stage2_clinicdb_5shot_64px_conservative.py',
#             '../../../configs/_base_/models/lora_unet_tiny.py']
#   model = dict(lora={{_base_.lora}})
# (on a config that trains a subset, e.g. the polyp default, add trainable='all': LoRA picks
# what it trains)
# Regexes over module names of model.generator.velocity_net, e.g. middle_block.1.qkv,
# output_blocks.0.0.in_layers.2, output_blocks.1.2.conv (an Upsample).
lora = dict(
    rank=4,
    alpha=4.0,
    targets=[r'\.(qkv|proj)$',
             r'^output_blocks\.\d+\.\d+\.(in_layers\.2|out_layers\.2|skip|conv)$'])
