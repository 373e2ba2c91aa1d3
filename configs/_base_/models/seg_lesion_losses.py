# The one loss of every lesion segmentor here: cross-entropy + Dice, equal weights, for binary
# masks (mmseg's CrossEntropyLoss averaged over non-ignored pixels, and its DiceLoss).
# `lesion_aux_loss` is the same at 0.4 for auxiliary heads, as mmseg's U-Net configs weigh them.
lesion_loss = [
    dict(type='CrossEntropyLoss', use_sigmoid=False, avg_non_ignore=True, loss_weight=1.0),
    dict(type='DiceLoss', loss_weight=1.0)]
lesion_aux_loss = [
    dict(type='CrossEntropyLoss', use_sigmoid=False, avg_non_ignore=True, loss_weight=0.4),
    dict(type='DiceLoss', loss_weight=0.4)]
