from .feature_extraction import FeatureCache, extract_features, folder_fingerprint
from .feature_spaces import FEATURE_SPACES, build_feature_space
from .flow_loss_metric import FlowMatchingLossMetric
from .generation_metric import GenerationMetric
from .generation_metrics import (AVAILABLE_METRICS, compute_generation_metrics, metric_names,
                                 minimum_set_size)
from .health_check import HealthVerdict, judge_alignment
from .mask_adherence import (AdherenceGate, PerImageLesionMetric, lesion_dice_iou,
                             load_segmentor, look_matched_change, score_pair_folder,
                             score_segmentor)
from .mask_metric import MaskStatisticsMetric
from .reference_check_metric import ReferenceCheckMetric, leave_one_out_distances

__all__ = ['AdherenceGate', 'AVAILABLE_METRICS', 'FEATURE_SPACES', 'FeatureCache',
           'FlowMatchingLossMetric', 'GenerationMetric', 'HealthVerdict', 'MaskStatisticsMetric',
           'PerImageLesionMetric', 'ReferenceCheckMetric', 'build_feature_space',
           'leave_one_out_distances',
           'compute_generation_metrics',
           'extract_features', 'folder_fingerprint', 'judge_alignment', 'lesion_dice_iou',
           'load_segmentor', 'look_matched_change',
           'metric_names', 'minimum_set_size', 'score_pair_folder', 'score_segmentor']
