# configs/stage2/stage2_toy_5shot_32px.py fine-tuning only the decoder half of the U-Net
# (output_blocks) and its output layers (out_norm, out_conv); the encoder, middle block and time
# embedding stay at stage 1.
#   python tools/train.py configs/stage1/stage1_toy_32px.py     # stage 1 (once)
#   python tools/train.py projects/alignment_studies/configs/stage2_toy_5shot_32px_decoder.py
_base_ = ['../../../configs/stage2/stage2_toy_5shot_32px.py']
model = dict(trainable=[r'^velocity_net\.(output_blocks|out_norm|out_conv)\.'])
