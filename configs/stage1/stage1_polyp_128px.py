# Stage 1 on a polyp dataset at 128 px with the ADM-sized U-Net (flow_unet_base): where a user
# with a GPU starts. Train with mixed precision, on one GPU or several:
#   python tools/train.py configs/stage1/stage1_polyp_128px.py --amp
#   tools/dist_train.sh configs/stage1/stage1_polyp_128px.py 4 --amp
_base_ = [
    '../_base_/models/flow_unet_base.py',
    '../_base_/datasets/polyp_128.py',
    '../_base_/schedules/flow_adamw_cosine_20k.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=32, num_workers=4)
val_dataloader = dict(num_workers=4)
test_dataloader = val_dataloader
