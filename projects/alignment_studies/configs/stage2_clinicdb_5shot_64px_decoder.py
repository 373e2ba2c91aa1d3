# stage2_clinicdb_5shot_64px_conservative.py fine-tuning only the decoder half of the U-Net
# (output_blocks) and its output layers (out_norm, out_conv); the encoder, middle block and time
# embedding stay at stage 1. (The product trains the same subset at the appearance strength.)
#   python tools/train.py projects/alignment_studies/configs/stage2_clinicdb_5shot_64px_decoder.py
_base_ = ['./stage2_clinicdb_5shot_64px_conservative.py']
model = dict(trainable=[r'^velocity_net\.(output_blocks|out_norm|out_conv)\.'])
