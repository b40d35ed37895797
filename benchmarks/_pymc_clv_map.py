"""pymc-marketing's MAP fit of Pareto/NBD or Gamma-Gamma, run by bench_pareto_gamma in its own venv.

Usage: ``python _pymc_clv_map.py pareto|gamma DATA.npz``; prints JSON with the fit's wall time
(model build and compilation included) and the MAP parameters.
"""

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
from pymc_marketing.clv import GammaGammaModel, ParetoNBDModel

warnings.simplefilter("ignore")

kind, path = sys.argv[1], sys.argv[2]
data = dict(np.load(path))
ids = np.arange(len(data["x"]))
if kind == "pareto":
    frame = pd.DataFrame(
        {"customer_id": ids, "frequency": data["x"], "recency": data["t_x"], "T": data["T"]}
    )
    model, names = ParetoNBDModel(data=frame), ("r", "alpha", "s", "beta")
else:
    frame = pd.DataFrame(
        {"customer_id": ids, "frequency": data["x"], "monetary_value": data["zbar"]}
    )
    model, names = GammaGammaModel(data=frame), ("p", "q", "v")
start = time.perf_counter()
model.fit(method="map")
seconds = time.perf_counter() - start
result = model.fit_result
posterior = getattr(result, "posterior", result)  # a MAP fit returns the point as a Dataset
print(
    json.dumps(
        {"seconds": seconds, "params": {k: float(np.ravel(posterior[k].values)[0]) for k in names}}
    )
)
