# clinicdb_5shot_conservative.py fine-tuning only the decoder half of the U-Net (output_blocks)
# and its output layers (out_norm, out_conv); the encoder, middle block and time embedding stay
# at stage 1. (The default clinicdb_5shot.py trains the same subset at the appearance strength.)
#   python tools/train.py configs/alignflow/polyp_stage1.py   # stage 1 (once)
#   python tools/train.py configs/alignflow/clinicdb_5shot_decoder.py
_base_ = ['./clinicdb_5shot_conservative.py']
model = dict(trainable=[r'^velocity_net\.(output_blocks|out_norm|out_conv)\.'])
