# ssim_ref.py — independent reference for metrics.SSIM.
#
# A plain-Python (float64, no numpy/torch) transcription of pytorch_ssim's
# _ssim (Po-Hsun Su, used by lanl/OpenFWI test.py with window_size=11):
# gaussian(11, 1.5) normalised to sum 1, 2-D window = outer product,
# F.conv2d(img, window, padding=5) (cross-correlation, zeros outside),
# C1 = 0.01**2, C2 = 0.03**2, ssim_map.mean().
#
# The two test images are defined by closed formulas so that the Go test can
# rebuild them exactly. Run: python3 ssim_ref.py
from math import exp, sin, cos

NZ, NX = 13, 17

def img_a(i, j):
    return 0.5 + 0.4 * sin(0.3 * i + 0.7 * j)

def img_b(i, j):
    return 0.45 + 0.35 * sin(0.3 * i + 0.7 * j + 0.4) + 0.1 * cos(1.1 * i - 0.5 * j)

def gaussian(ws, sigma):
    g = [exp(-((x - ws // 2) ** 2) / float(2 * sigma ** 2)) for x in range(ws)]
    s = sum(g)
    return [v / s for v in g]

def conv_same(img, w):
    ws = len(w); p = ws // 2
    out = [[0.0] * NX for _ in range(NZ)]
    for i in range(NZ):
        for j in range(NX):
            s = 0.0
            for u in range(ws):
                for v in range(ws):
                    ii, jj = i + u - p, j + v - p
                    if 0 <= ii < NZ and 0 <= jj < NX:
                        s += w[u][v] * img[ii][jj]
            out[i][j] = s
    return out

def ssim(a, b):
    g = gaussian(11, 1.5)
    w = [[g[u] * g[v] for v in range(11)] for u in range(11)]
    mu1, mu2 = conv_same(a, w), conv_same(b, w)
    aa = conv_same([[x * x for x in r] for r in a], w)
    bb = conv_same([[x * x for x in r] for r in b], w)
    ab = conv_same([[a[i][j] * b[i][j] for j in range(NX)] for i in range(NZ)], w)
    C1, C2 = 0.01 ** 2, 0.03 ** 2
    tot = 0.0
    for i in range(NZ):
        for j in range(NX):
            m1, m2 = mu1[i][j], mu2[i][j]
            s1, s2, s12 = aa[i][j] - m1 * m1, bb[i][j] - m2 * m2, ab[i][j] - m1 * m2
            tot += ((2 * m1 * m2 + C1) * (2 * s12 + C2)) / ((m1 * m1 + m2 * m2 + C1) * (s1 + s2 + C2))
    return tot / (NZ * NX)

a = [[img_a(i, j) for j in range(NX)] for i in range(NZ)]
b = [[img_b(i, j) for j in range(NX)] for i in range(NZ)]
print(repr(ssim(a, b)))
