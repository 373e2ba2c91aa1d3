# mmseg's DPT (ViT-B/16 encoder, 4 reassembled stages, fusion decoder) for binary lesion masks:
# BN instead of SyncBN, 2 classes, cross-entropy + Dice. The ViT's position embedding is
# resized to the input, so any multiple of 16 works. ImageNet weights through init_cfg from
# `pretrained` (timm's ViT-B/16 converted with mmseg's tools/model_converters/vit2mmseg.py);
# without the file the encoder trains from scratch, with a warning.
_base_ = ['mmseg::_base_/models/dpt_vit-b16.py', './seg_lesion_losses.py']
norm_cfg = dict(type='BN', requires_grad=True)
pretrained = 'pretrain/vit-b16_p16_224-80ecf9dd.pth'
model = dict(
    pretrained=None,
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    decode_head=dict(
        num_classes=2,
        norm_cfg=norm_cfg,
        loss_decode={{_base_.lesion_loss}}))
