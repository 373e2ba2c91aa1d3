# mmseg's SegFormer (MiT-B0 encoder, all-MLP head) for binary lesion masks: BN instead of
# SyncBN (add `sync_bn='torch'` for multi-GPU runs), 2 classes, cross-entropy + Dice.
# ImageNet weights load through init_cfg from `pretrained` (mmseg's converted MiT weights,
#   https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b0_20220624-7e0fe6dd.pth
# saved as pretrain/mit_b0.pth); without the file the backbone trains from scratch, with a
# warning (alignflow.apis.config_resolution.drop_missing_pretrained).
_base_ = ['mmseg::_base_/models/segformer_mit-b0.py', './seg_lesion_losses.py']
norm_cfg = dict(type='BN', requires_grad=True)
pretrained = 'pretrain/mit_b0.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    decode_head=dict(
        num_classes=2,
        norm_cfg=norm_cfg,
        loss_decode={{_base_.lesion_loss}}))
