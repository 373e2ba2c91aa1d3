# seg_segformer_mit-b0.py with the bigger MiT-B2 encoder (24.7M parameters against 3.7M), as in
# mmseg's segformer_mit-b2 configs; weights:
#   https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b2_20220624-66e8bf70.pth
# saved as pretrain/mit_b2.pth.
_base_ = ['./seg_segformer_mit-b0.py']
pretrained = 'pretrain/mit_b2.pth'
model = dict(
    backbone=dict(embed_dims=64, num_layers=[3, 4, 6, 3],
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    decode_head=dict(in_channels=[64, 128, 320, 512]))
