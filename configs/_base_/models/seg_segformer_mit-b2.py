# mmseg's SegFormer with the bigger MiT-B2 encoder (24.7M parameters against MiT-B0's 3.7M), as
# in mmseg's segformer_mit-b2 configs, for binary lesion masks as seg_segformer_mit-b0.py (BN,
# 2 classes, cross-entropy + Dice). ImageNet weights load through init_cfg from `pretrained`
# (mmseg's converted MiT weights,
#   https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b2_20220624-66e8bf70.pth
# saved as pretrain/mit_b2.pth); without the file the backbone trains from scratch, with a
# warning (alignflow.apis.config_resolution.drop_missing_pretrained).
_base_ = ['mmseg::_base_/models/segformer_mit-b0.py', './seg_lesion_losses.py']
norm_cfg = dict(type='BN', requires_grad=True)
pretrained = 'pretrain/mit_b2.pth'
model = dict(
    backbone=dict(embed_dims=64, num_layers=[3, 4, 6, 3],
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    decode_head=dict(
        in_channels=[64, 128, 320, 512],
        num_classes=2,
        norm_cfg=norm_cfg,
        loss_decode={{_base_.lesion_loss}}))
