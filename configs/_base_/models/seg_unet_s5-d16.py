# mmseg's U-Net (5 stages, 64 base channels, FCN head + auxiliary head) for binary lesion masks,
# the size of mmseg's unet-s5-d16 configs, for GPUs: BN instead of SyncBN (add
# `sync_bn='torch'` for multi-GPU runs), cross-entropy + Dice, whole-image inference at the
# dataset's resolution. CPU-sized: seg_unet_tiny.py.
_base_ = ['mmseg::_base_/models/fcn_unet_s5-d16.py', './seg_lesion_losses.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(norm_cfg=norm_cfg),
    decode_head=dict(
        norm_cfg=norm_cfg,
        loss_decode={{_base_.lesion_loss}}),
    auxiliary_head=dict(
        norm_cfg=norm_cfg,
        loss_decode={{_base_.lesion_aux_loss}}),
    test_cfg=dict(_delete_=True, mode='whole'))
