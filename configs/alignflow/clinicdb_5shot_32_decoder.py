# clinicdb_5shot_32_conservative.py fine-tuning only the decoder half and output layers (see
# clinicdb_5shot_decoder.py): CPU-sized evidence config.
_base_ = ['./clinicdb_5shot_32_conservative.py']
model = dict(trainable=[r'^velocity_net\.(output_blocks|out_norm|out_conv)\.'])
