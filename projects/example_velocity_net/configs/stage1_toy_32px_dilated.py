# configs/stage1/stage1_toy_32px.py with DilatedConvVelocityNet, a velocity network registered in
# this project's package, in place of the tiny U-Net: seven residual 3x3 convolutions at full
# resolution, dilated 1-2-4-8-4-2-1 so that the receptive field spans the 32-px image. It
# composes that config's bases itself (a child of it would be four levels deep).
#   PYTHONPATH=projects/example_velocity_net python tools/train.py \
#       projects/example_velocity_net/configs/stage1_toy_32px_dilated.py
_base_ = [
    '../../../configs/_base_/models/flow_unet_tiny.py',
    '../../../configs/_base_/datasets/toy_polyp.py',
    '../../../configs/_base_/schedules/flow_adamw_cosine_2k.py',
    '../../../configs/_base_/default_runtime.py',
]
custom_imports = dict(imports=['example_velocity_net'], allow_failed_imports=False)
model = dict(velocity_net=dict(_delete_=True, type='DilatedConvVelocityNet', width=64,
                               dilations=(1, 2, 4, 8, 4, 2, 1)))
