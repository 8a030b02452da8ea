"""Buy a gap up that holds, sell a gap down, with the comparisons done in numpy.

params: {"gap": 0.01}
"""

import numpy as np
import pandas as pd


def signals(data, params):
    opens = data["open"].to_numpy()
    closes = data["close"].to_numpy()
    previous = np.concatenate([[np.nan], closes[:-1]])
    gap = opens / previous - 1.0
    entries = np.where(np.isnan(gap), False, (gap > params["gap"]) & (closes > opens))
    exits = np.where(np.isnan(gap), False, gap < -params["gap"])
    return pd.Series(entries, index=data.index), pd.Series(exits, index=data.index)
