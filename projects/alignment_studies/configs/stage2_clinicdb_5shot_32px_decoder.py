# stage2_clinicdb_5shot_32px_conservative.py fine-tuning only the decoder half and output layers
# (see stage2_clinicdb_5shot_64px_decoder.py): the CPU-sized study.
#   python tools/train.py projects/alignment_studies/configs/stage2_clinicdb_5shot_32px_decoder.py
_base_ = ['./stage2_clinicdb_5shot_32px_conservative.py']
model = dict(trainable=[r'^velocity_net\.(output_blocks|out_norm|out_conv)\.'])
