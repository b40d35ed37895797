"""Predictive customer lifetime value: RFM summaries and buy-till-you-die models."""

from retention_kpis.clv._base import NotFittedError, ProbabilityModel
from retention_kpis.clv.bgbb import BetaGeoBetaBinomModel, BetaGeoBetaBinomParams
from retention_kpis.clv.bgnbd import BetaGeoModel, BetaGeoParams
from retention_kpis.clv.comparison import compare_models
from retention_kpis.clv.covariates import (
    BetaGeoCovariateModel,
    GammaGammaCovariateModel,
    ParetoNBDCovariateModel,
)
from retention_kpis.clv.customers import customer_table
from retention_kpis.clv.gamma_gamma import GammaGammaModel, GammaGammaParams
from retention_kpis.clv.mbgnbd import ModifiedBetaGeoModel
from retention_kpis.clv.pareto_nbd import ParetoNBDModel, ParetoNBDParams
from retention_kpis.clv.predicted_value import predict_clv
from retention_kpis.clv.predictions import Prediction
from retention_kpis.clv.predictive_segments import segment_value
from retention_kpis.clv.rfm import calibration_holdout_split, rfm_summary
from retention_kpis.clv.sbg import ShiftedBetaGeometricModel, ShiftedBetaGeometricParams
from retention_kpis.clv.segments import DEFAULT_SEGMENTS, SegmentRule, rfm_segments
from retention_kpis.clv.value import customer_lifetime_value

__all__ = [
    "DEFAULT_SEGMENTS",
    "BetaGeoBetaBinomModel",
    "BetaGeoBetaBinomParams",
    "BetaGeoCovariateModel",
    "BetaGeoModel",
    "BetaGeoParams",
    "GammaGammaCovariateModel",
    "GammaGammaModel",
    "GammaGammaParams",
    "ModifiedBetaGeoModel",
    "NotFittedError",
    "ParetoNBDCovariateModel",
    "ParetoNBDModel",
    "ParetoNBDParams",
    "Prediction",
    "ProbabilityModel",
    "SegmentRule",
    "ShiftedBetaGeometricModel",
    "ShiftedBetaGeometricParams",
    "calibration_holdout_split",
    "compare_models",
    "customer_lifetime_value",
    "customer_table",
    "predict_clv",
    "rfm_segments",
    "rfm_summary",
    "segment_value",
]
