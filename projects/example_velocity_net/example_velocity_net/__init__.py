from .dilated_conv_net import DilatedConvVelocityNet

__all__ = ['DilatedConvVelocityNet']
