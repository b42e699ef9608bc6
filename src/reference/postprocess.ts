// Detection post-processing in integer arithmetic, bit-exact with firmware/kernels/postprocess.c:
// priors, decoding with variances (0.1, 0.2), face score, threshold, greedy NMS. The exact fixed-point
// algorithm is documented in firmware/kernels/postprocess.h; every step below mirrors it. All
// intermediate values stay below 2^53, so plain numbers are exact.

/** One detection head: a rows x cols grid, one square prior of side `anchor` px per cell. */
export interface Head {
  rows: number;
  cols: number;
  /** Pixels between cell centres. */
  step: number;
  /** Prior side in pixels. */
  anchor: number;
  /** conf real = q / 2^confShift (0..15). */
  confShift: number;
  /** loc real = q / 2^locShift (0..15). */
  locShift: number;
}

export interface PostprocessConfig {
  heads: readonly Head[];
  imageWidth: number;
  imageHeight: number;
  /** Q15: a prior is a candidate when its score > scoreThreshold. */
  scoreThreshold: number;
  /** At most this many boxes are kept. */
  maxBoxes: number;
  /** NMS suppresses when IoU > iouNum / iouDen; default 3 / 10. */
  iouNum?: number;
  iouDen?: number;
  /** Clip boxes to the image before NMS (default false, as EdgeML's CLIP = False). */
  clip?: boolean;
}

/** Corners in Q4 pixels (value / 16 = px), score Q15 (0..32768), prior index. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  prior: number;
}

/** EdgeML's detection settings: threshold 0.05, NMS IoU 0.3, 750 boxes. */
export const DEFAULT_SCORE_THRESHOLD = Math.round(0.05 * 32768);
export const DEFAULT_MAX_BOXES = 750;

/** round(2^(i/256) * 2^24), i < 256 (the C table EXP2_HI). */
export const EXP2_HI: readonly number[] = [
  16777216, 16822704, 16868315, 16914049, 16959908, 17005891, 17051999, 17098231, 17144589, 17191073,
  17237683, 17284419, 17331282, 17378271, 17425389, 17472634, 17520007, 17567508, 17615139, 17662898,
  17710787, 17758806, 17806955, 17855235, 17903645, 17952187, 18000860, 18049665, 18098603, 18147673,
  18196877, 18246213, 18295684, 18345288, 18395028, 18444902, 18494911, 18545056, 18595336, 18645753,
  18696307, 18746998, 18797826, 18848792, 18899897, 18951139, 19002521, 19054042, 19105703, 19157504,
  19209445, 19261527, 19313750, 19366115, 19418622, 19471271, 19524063, 19576998, 19630077, 19683300,
  19736666, 19790178, 19843835, 19897637, 19951585, 20005679, 20059920, 20114308, 20168843, 20223526,
  20278358, 20333338, 20388467, 20443746, 20499175, 20554754, 20610483, 20666364, 20722396, 20778580,
  20834917, 20891406, 20948048, 21004844, 21061794, 21118898, 21176158, 21233572, 21291142, 21348868,
  21406751, 21464790, 21522987, 21581342, 21639855, 21698527, 21757357, 21816348, 21875498, 21934808,
  21994279, 22053912, 22113706, 22173663, 22233781, 22294063, 22354509, 22415118, 22475891, 22536830,
  22597933, 22659202, 22720638, 22782240, 22844009, 22905945, 22968049, 23030322, 23092764, 23155374,
  23218155, 23281106, 23344227, 23407520, 23470984, 23534620, 23598429, 23662411, 23726566, 23790896,
  23855399, 23920078, 23984932, 24049962, 24115168, 24180550, 24246111, 24311848, 24377765, 24443859,
  24510133, 24576587, 24643221, 24710036, 24777031, 24844209, 24911568, 24979110, 25046835, 25114744,
  25182837, 25251115, 25319578, 25388226, 25457060, 25526081, 25595290, 25664686, 25734270, 25804042,
  25874004, 25944156, 26014497, 26085030, 26155754, 26226669, 26297777, 26369077, 26440571, 26512259,
  26584141, 26656218, 26728490, 26800958, 26873623, 26946485, 27019544, 27092802, 27166258, 27239913,
  27313768, 27387823, 27462079, 27536536, 27611195, 27686057, 27761121, 27836389, 27911861, 27987538,
  28063420, 28139508, 28215802, 28292302, 28369011, 28445927, 28523052, 28600385, 28677929, 28755683,
  28833647, 28911823, 28990211, 29068811, 29147625, 29226652, 29305894, 29385350, 29465022, 29544910,
  29625014, 29705336, 29785875, 29866633, 29947609, 30028805, 30110222, 30191859, 30273717, 30355798,
  30438101, 30520627, 30603377, 30686351, 30769550, 30852975, 30936625, 31020503, 31104608, 31188941,
  31273503, 31358294, 31443315, 31528567, 31614049, 31699764, 31785710, 31871890, 31958304, 32044951,
  32131834, 32218952, 32306307, 32393898, 32481727, 32569794, 32658099, 32746645, 32835430, 32924456,
  33013723, 33103232, 33192984, 33282979, 33373219, 33463703,
];

/** round(2^(i/65536) * 2^24), i < 256 (the C table EXP2_LO). */
export const EXP2_LO: readonly number[] = [
  16777216, 16777393, 16777571, 16777748, 16777926, 16778103, 16778281, 16778458, 16778636, 16778813,
  16778991, 16779168, 16779345, 16779523, 16779700, 16779878, 16780055, 16780233, 16780410, 16780588,
  16780765, 16780943, 16781120, 16781298, 16781475, 16781653, 16781830, 16782008, 16782185, 16782363,
  16782540, 16782718, 16782895, 16783073, 16783250, 16783428, 16783605, 16783783, 16783960, 16784138,
  16784315, 16784493, 16784670, 16784848, 16785025, 16785203, 16785380, 16785558, 16785736, 16785913,
  16786091, 16786268, 16786446, 16786623, 16786801, 16786978, 16787156, 16787333, 16787511, 16787689,
  16787866, 16788044, 16788221, 16788399, 16788576, 16788754, 16788932, 16789109, 16789287, 16789464,
  16789642, 16789819, 16789997, 16790175, 16790352, 16790530, 16790707, 16790885, 16791062, 16791240,
  16791418, 16791595, 16791773, 16791950, 16792128, 16792306, 16792483, 16792661, 16792838, 16793016,
  16793194, 16793371, 16793549, 16793727, 16793904, 16794082, 16794259, 16794437, 16794615, 16794792,
  16794970, 16795148, 16795325, 16795503, 16795681, 16795858, 16796036, 16796213, 16796391, 16796569,
  16796746, 16796924, 16797102, 16797279, 16797457, 16797635, 16797812, 16797990, 16798168, 16798345,
  16798523, 16798701, 16798878, 16799056, 16799234, 16799411, 16799589, 16799767, 16799944, 16800122,
  16800300, 16800477, 16800655, 16800833, 16801011, 16801188, 16801366, 16801544, 16801721, 16801899,
  16802077, 16802255, 16802432, 16802610, 16802788, 16802965, 16803143, 16803321, 16803499, 16803676,
  16803854, 16804032, 16804209, 16804387, 16804565, 16804743, 16804920, 16805098, 16805276, 16805454,
  16805631, 16805809, 16805987, 16806165, 16806342, 16806520, 16806698, 16806876, 16807053, 16807231,
  16807409, 16807587, 16807764, 16807942, 16808120, 16808298, 16808476, 16808653, 16808831, 16809009,
  16809187, 16809364, 16809542, 16809720, 16809898, 16810076, 16810253, 16810431, 16810609, 16810787,
  16810965, 16811142, 16811320, 16811498, 16811676, 16811854, 16812031, 16812209, 16812387, 16812565,
  16812743, 16812921, 16813098, 16813276, 16813454, 16813632, 16813810, 16813987, 16814165, 16814343,
  16814521, 16814699, 16814877, 16815055, 16815232, 16815410, 16815588, 16815766, 16815944, 16816122,
  16816300, 16816477, 16816655, 16816833, 16817011, 16817189, 16817367, 16817545, 16817722, 16817900,
  16818078, 16818256, 16818434, 16818612, 16818790, 16818968, 16819145, 16819323, 16819501, 16819679,
  16819857, 16820035, 16820213, 16820391, 16820569, 16820747, 16820924, 16821102, 16821280, 16821458,
  16821636, 16821814, 16821992, 16822170, 16822348, 16822526,
];

const LOG2E_Q30 = 1549082005; // round(log2(e) * 2^30)
const LOG2E_FIFTH_Q30 = 309816401; // round(0.2 * log2(e) * 2^30)
const U_MIN_SCORE = -64 * 65536;
const U_MIN_SIZE = -32 * 65536;
const U_MAX_SIZE = 8 * 65536;

/** floor(a / b) for integers, b > 0, |a| < 2^53. */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/** round(mult * 2^(u / 65536) * 2^outShift), as scale_pow2 in C. */
function scalePow2(mult: number, u: number, outShift: number): number {
  const k = u >> 16;
  const f = u & 0xffff;
  const m = Math.floor((EXP2_HI[f >> 8]! * EXP2_LO[f & 0xff]! + 2 ** 23) / 2 ** 24);
  const p = mult * m;
  const n = 24 - outShift - k;
  if (n <= 0) return p * 2 ** -n;
  if (n > 52) return 0;
  return Math.floor((p + 2 ** (n - 1)) / 2 ** n);
}

/** Face score, Q15 in [0, 32768], of d = face - background logits (real d / 2^shift). */
export function scoreQ15(d: number, shift: number): number {
  const ad = Math.abs(d);
  const v = Math.floor((ad * LOG2E_Q30 + 2 ** (13 + shift)) / 2 ** (14 + shift));
  const u = v > -U_MIN_SCORE ? U_MIN_SCORE : -v;
  const den = 2 ** 30 + scalePow2(1, u, 30);
  const s = floorDiv(2 ** 45 + Math.floor(den / 2), den);
  return d >= 0 ? s : 32768 - s;
}

function centreQ4(index: number, step: number, anchor: number, q: number, shift: number): number {
  const n = q * anchor * 8;
  const d = 5 * 2 ** shift;
  return (2 * index + 1) * step * 8 + floorDiv(2 * n + d, 2 * d);
}

function halfSideQ4(anchor: number, q: number, shift: number): number {
  const v = Math.floor((q * LOG2E_FIFTH_Q30 + 2 ** (13 + shift)) / 2 ** (14 + shift));
  const u = Math.min(Math.max(v, U_MIN_SIZE), U_MAX_SIZE);
  return scalePow2(anchor, u, 3);
}

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/** Decoded corners (Q4 px) of prior (row, col) of `head` with loc = [dx, dy, dw, dh] (raw int16). */
export function decodeBox(
  cfg: PostprocessConfig,
  head: Head,
  row: number,
  col: number,
  loc: ArrayLike<number>,
): { x1: number; y1: number; x2: number; y2: number } {
  const sh = head.locShift;
  const cx = centreQ4(col, head.step, head.anchor, loc[0]!, sh);
  const cy = centreQ4(row, head.step, head.anchor, loc[1]!, sh);
  const hw = halfSideQ4(head.anchor, loc[2]!, sh);
  const hh = halfSideQ4(head.anchor, loc[3]!, sh);
  const [xlo, xhi, ylo, yhi] = cfg.clip
    ? [0, cfg.imageWidth * 16, 0, cfg.imageHeight * 16]
    : [-32768, 32767, -32768, 32767];
  return {
    x1: clamp(cx - hw, xlo, xhi),
    y1: clamp(cy - hh, ylo, yhi),
    x2: clamp(cx + hw, xlo, xhi),
    y2: clamp(cy + hh, ylo, yhi),
  };
}

/** Number of priors (sum of rows * cols). */
export function numPriors(heads: readonly Head[]): number {
  return heads.reduce((n, h) => n + h.rows * h.cols, 0);
}

/** Throws unless the configuration is within the limits pp_detect checks (it returns PP_EINVAL). */
export function validateConfig(cfg: PostprocessConfig): void {
  const fail = (why: string) => {
    throw new Error(`postprocess: ${why}`);
  };
  const isInt = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (cfg.heads.length < 1 || cfg.heads.length > 16) fail('1..16 heads');
  for (const h of cfg.heads) {
    if (!isInt(h.rows, 1, 65535) || !isInt(h.cols, 1, 65535) || !isInt(h.step, 1, 65535))
      fail('rows, cols, step must be 1..65535');
    if (!isInt(h.anchor, 1, 4096)) fail('anchor must be 1..4096');
    if (h.cols * h.step > 65535 || h.rows * h.step > 65535) fail('cols * step and rows * step <= 65535');
    if (!isInt(h.confShift, 0, 15) || !isInt(h.locShift, 0, 15)) fail('shifts must be 0..15');
  }
  if (numPriors(cfg.heads) > 65535) fail('at most 65535 priors');
  const iouNum = cfg.iouNum ?? 3;
  const iouDen = cfg.iouDen ?? 10;
  if (!isInt(iouDen, 1, 1024) || !isInt(iouNum, 0, 1024)) fail('1 <= iouDen <= 1024, iouNum <= 1024');
  if (!isInt(cfg.scoreThreshold, 0, 65535) || !isInt(cfg.maxBoxes, 0, 65535))
    fail('scoreThreshold and maxBoxes are uint16');
  if (!isInt(cfg.imageWidth, 0, 65535) || !isInt(cfg.imageHeight, 0, 65535)) fail('image size is uint16');
  if (cfg.clip && (cfg.imageWidth > 2047 || cfg.imageHeight > 2047)) fail('clip needs image sides <= 2047');
}

const area = (b: Box) => (b.x2 - b.x1) * (b.y2 - b.y1);

/**
 * The whole post-processing: `conf` holds [background, face] per prior, `loc` [dx, dy, dw, dh] per
 * prior, heads concatenated in head -> row -> column order. Returns the kept boxes, best first.
 */
export function detect(cfg: PostprocessConfig, conf: ArrayLike<number>, loc: ArrayLike<number>): Box[] {
  validateConfig(cfg);
  const total = numPriors(cfg.heads);
  if (conf.length < 2 * total || loc.length < 4 * total)
    throw new Error(`postprocess: need ${2 * total} conf and ${4 * total} loc values`);
  const iouNum = cfg.iouNum ?? 3;
  const iouDen = cfg.iouDen ?? 10;
  const where: { head: Head; row: number; col: number }[] = [];
  const candidates: { score: number; prior: number }[] = [];
  for (const head of cfg.heads) {
    for (let row = 0; row < head.rows; row++) {
      for (let col = 0; col < head.cols; col++) {
        const p = where.length;
        where.push({ head, row, col });
        const score = scoreQ15(conf[2 * p + 1]! - conf[2 * p]!, head.confShift);
        if (score > cfg.scoreThreshold) candidates.push({ score, prior: p });
      }
    }
  }
  candidates.sort((a, b) => b.score - a.score || a.prior - b.prior);
  const kept: Box[] = [];
  for (const { score, prior } of candidates) {
    if (kept.length >= cfg.maxBoxes) break;
    const { head, row, col } = where[prior]!;
    const b: Box = {
      ...decodeBox(
        cfg,
        head,
        row,
        col,
        [0, 1, 2, 3].map((i) => loc[4 * prior + i]!),
      ),
      score,
      prior,
    };
    const ab = area(b);
    const suppressed = kept.some((o) => {
      const iw = Math.min(b.x2, o.x2) - Math.max(b.x1, o.x1);
      if (iw <= 0) return false;
      const ih = Math.min(b.y2, o.y2) - Math.max(b.y1, o.y1);
      if (ih <= 0) return false;
      const inter = iw * ih;
      return inter * iouDen > iouNum * (ab + area(o) - inter);
    });
    if (!suppressed) kept.push(b);
  }
  return kept;
}

/** A prior in the normalised form of EdgeML's PriorBox: centre and size as fractions of the image. */
export interface Prior {
  cx: number;
  cy: number;
  w: number;
  h: number;
}

/** Floating-point priors, head -> row -> column: cx = (j+0.5)*step/W, w = anchor/W, ... */
export function priors(heads: readonly Head[], imageWidth: number, imageHeight: number): Prior[] {
  const out: Prior[] = [];
  for (const h of heads)
    for (let i = 0; i < h.rows; i++)
      for (let j = 0; j < h.cols; j++)
        out.push({
          cx: ((j + 0.5) * h.step) / imageWidth,
          cy: ((i + 0.5) * h.step) / imageHeight,
          w: h.anchor / imageWidth,
          h: h.anchor / imageHeight,
        });
  return out;
}

/**
 * Floating-point decode of one prior (real loc values), in pixels, as EdgeML's decode: the yardstick
 * the fixed-point decode is tested against. No clamping.
 */
export function decodeFloat(
  prior: Prior,
  loc: readonly [number, number, number, number],
  imageWidth: number,
  imageHeight: number,
): { x1: number; y1: number; x2: number; y2: number } {
  const cx = prior.cx + loc[0] * 0.1 * prior.w;
  const cy = prior.cy + loc[1] * 0.1 * prior.h;
  const w = prior.w * Math.exp(0.2 * loc[2]);
  const h = prior.h * Math.exp(0.2 * loc[3]);
  return {
    x1: (cx - w / 2) * imageWidth,
    y1: (cy - h / 2) * imageHeight,
    x2: (cx + w / 2) * imageWidth,
    y2: (cy + h / 2) * imageHeight,
  };
}

/** Floating-point face score: softmax over [background, face] logits (real values). */
export function scoreFloat(background: number, face: number): number {
  return 1 / (1 + Math.exp(background - face));
}
