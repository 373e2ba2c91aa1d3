from .flow_loss_metric import FlowMatchingLossMetric

__all__ = ['FlowMatchingLossMetric']
