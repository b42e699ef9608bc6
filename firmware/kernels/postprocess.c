/* Detection post-processing in integer arithmetic; see postprocess.h for the exact algorithm. */
#include "postprocess.h"

/* round(2^(i/256) * 2^24) */
static const uint32_t EXP2_HI[256] = {
  16777216u, 16822704u, 16868315u, 16914049u, 16959908u, 17005891u, 17051999u, 17098231u,
  17144589u, 17191073u, 17237683u, 17284419u, 17331282u, 17378271u, 17425389u, 17472634u,
  17520007u, 17567508u, 17615139u, 17662898u, 17710787u, 17758806u, 17806955u, 17855235u,
  17903645u, 17952187u, 18000860u, 18049665u, 18098603u, 18147673u, 18196877u, 18246213u,
  18295684u, 18345288u, 18395028u, 18444902u, 18494911u, 18545056u, 18595336u, 18645753u,
  18696307u, 18746998u, 18797826u, 18848792u, 18899897u, 18951139u, 19002521u, 19054042u,
  19105703u, 19157504u, 19209445u, 19261527u, 19313750u, 19366115u, 19418622u, 19471271u,
  19524063u, 19576998u, 19630077u, 19683300u, 19736666u, 19790178u, 19843835u, 19897637u,
  19951585u, 20005679u, 20059920u, 20114308u, 20168843u, 20223526u, 20278358u, 20333338u,
  20388467u, 20443746u, 20499175u, 20554754u, 20610483u, 20666364u, 20722396u, 20778580u,
  20834917u, 20891406u, 20948048u, 21004844u, 21061794u, 21118898u, 21176158u, 21233572u,
  21291142u, 21348868u, 21406751u, 21464790u, 21522987u, 21581342u, 21639855u, 21698527u,
  21757357u, 21816348u, 21875498u, 21934808u, 21994279u, 22053912u, 22113706u, 22173663u,
  22233781u, 22294063u, 22354509u, 22415118u, 22475891u, 22536830u, 22597933u, 22659202u,
  22720638u, 22782240u, 22844009u, 22905945u, 22968049u, 23030322u, 23092764u, 23155374u,
  23218155u, 23281106u, 23344227u, 23407520u, 23470984u, 23534620u, 23598429u, 23662411u,
  23726566u, 23790896u, 23855399u, 23920078u, 23984932u, 24049962u, 24115168u, 24180550u,
  24246111u, 24311848u, 24377765u, 24443859u, 24510133u, 24576587u, 24643221u, 24710036u,
  24777031u, 24844209u, 24911568u, 24979110u, 25046835u, 25114744u, 25182837u, 25251115u,
  25319578u, 25388226u, 25457060u, 25526081u, 25595290u, 25664686u, 25734270u, 25804042u,
  25874004u, 25944156u, 26014497u, 26085030u, 26155754u, 26226669u, 26297777u, 26369077u,
  26440571u, 26512259u, 26584141u, 26656218u, 26728490u, 26800958u, 26873623u, 26946485u,
  27019544u, 27092802u, 27166258u, 27239913u, 27313768u, 27387823u, 27462079u, 27536536u,
  27611195u, 27686057u, 27761121u, 27836389u, 27911861u, 27987538u, 28063420u, 28139508u,
  28215802u, 28292302u, 28369011u, 28445927u, 28523052u, 28600385u, 28677929u, 28755683u,
  28833647u, 28911823u, 28990211u, 29068811u, 29147625u, 29226652u, 29305894u, 29385350u,
  29465022u, 29544910u, 29625014u, 29705336u, 29785875u, 29866633u, 29947609u, 30028805u,
  30110222u, 30191859u, 30273717u, 30355798u, 30438101u, 30520627u, 30603377u, 30686351u,
  30769550u, 30852975u, 30936625u, 31020503u, 31104608u, 31188941u, 31273503u, 31358294u,
  31443315u, 31528567u, 31614049u, 31699764u, 31785710u, 31871890u, 31958304u, 32044951u,
  32131834u, 32218952u, 32306307u, 32393898u, 32481727u, 32569794u, 32658099u, 32746645u,
  32835430u, 32924456u, 33013723u, 33103232u, 33192984u, 33282979u, 33373219u, 33463703u,};

/* round(2^(i/65536) * 2^24) */
static const uint32_t EXP2_LO[256] = {
  16777216u, 16777393u, 16777571u, 16777748u, 16777926u, 16778103u, 16778281u, 16778458u,
  16778636u, 16778813u, 16778991u, 16779168u, 16779345u, 16779523u, 16779700u, 16779878u,
  16780055u, 16780233u, 16780410u, 16780588u, 16780765u, 16780943u, 16781120u, 16781298u,
  16781475u, 16781653u, 16781830u, 16782008u, 16782185u, 16782363u, 16782540u, 16782718u,
  16782895u, 16783073u, 16783250u, 16783428u, 16783605u, 16783783u, 16783960u, 16784138u,
  16784315u, 16784493u, 16784670u, 16784848u, 16785025u, 16785203u, 16785380u, 16785558u,
  16785736u, 16785913u, 16786091u, 16786268u, 16786446u, 16786623u, 16786801u, 16786978u,
  16787156u, 16787333u, 16787511u, 16787689u, 16787866u, 16788044u, 16788221u, 16788399u,
  16788576u, 16788754u, 16788932u, 16789109u, 16789287u, 16789464u, 16789642u, 16789819u,
  16789997u, 16790175u, 16790352u, 16790530u, 16790707u, 16790885u, 16791062u, 16791240u,
  16791418u, 16791595u, 16791773u, 16791950u, 16792128u, 16792306u, 16792483u, 16792661u,
  16792838u, 16793016u, 16793194u, 16793371u, 16793549u, 16793727u, 16793904u, 16794082u,
  16794259u, 16794437u, 16794615u, 16794792u, 16794970u, 16795148u, 16795325u, 16795503u,
  16795681u, 16795858u, 16796036u, 16796213u, 16796391u, 16796569u, 16796746u, 16796924u,
  16797102u, 16797279u, 16797457u, 16797635u, 16797812u, 16797990u, 16798168u, 16798345u,
  16798523u, 16798701u, 16798878u, 16799056u, 16799234u, 16799411u, 16799589u, 16799767u,
  16799944u, 16800122u, 16800300u, 16800477u, 16800655u, 16800833u, 16801011u, 16801188u,
  16801366u, 16801544u, 16801721u, 16801899u, 16802077u, 16802255u, 16802432u, 16802610u,
  16802788u, 16802965u, 16803143u, 16803321u, 16803499u, 16803676u, 16803854u, 16804032u,
  16804209u, 16804387u, 16804565u, 16804743u, 16804920u, 16805098u, 16805276u, 16805454u,
  16805631u, 16805809u, 16805987u, 16806165u, 16806342u, 16806520u, 16806698u, 16806876u,
  16807053u, 16807231u, 16807409u, 16807587u, 16807764u, 16807942u, 16808120u, 16808298u,
  16808476u, 16808653u, 16808831u, 16809009u, 16809187u, 16809364u, 16809542u, 16809720u,
  16809898u, 16810076u, 16810253u, 16810431u, 16810609u, 16810787u, 16810965u, 16811142u,
  16811320u, 16811498u, 16811676u, 16811854u, 16812031u, 16812209u, 16812387u, 16812565u,
  16812743u, 16812921u, 16813098u, 16813276u, 16813454u, 16813632u, 16813810u, 16813987u,
  16814165u, 16814343u, 16814521u, 16814699u, 16814877u, 16815055u, 16815232u, 16815410u,
  16815588u, 16815766u, 16815944u, 16816122u, 16816300u, 16816477u, 16816655u, 16816833u,
  16817011u, 16817189u, 16817367u, 16817545u, 16817722u, 16817900u, 16818078u, 16818256u,
  16818434u, 16818612u, 16818790u, 16818968u, 16819145u, 16819323u, 16819501u, 16819679u,
  16819857u, 16820035u, 16820213u, 16820391u, 16820569u, 16820747u, 16820924u, 16821102u,
  16821280u, 16821458u, 16821636u, 16821814u, 16821992u, 16822170u, 16822348u, 16822526u,};

#define LOG2E_Q30 1549082005u      /* round(log2(e) * 2^30) */
#define LOG2E_FIFTH_Q30 309816401u /* round(0.2 * log2(e) * 2^30) */
#define U_MIN_SCORE (-64 * 65536)  /* 2^-64: the exponential is 0 from here on */
#define U_MIN_SIZE (-32 * 65536)   /* box sides from anchor * 2^-32 ... */
#define U_MAX_SIZE (8 * 65536)     /* ... to anchor * 2^8 */

/* round(mult * 2^(u / 65536) * 2^out_shift) for mult < 2^13, u >= -2^31, u / 65536 + out_shift <= 30. */
static uint64_t scale_pow2(uint32_t mult, int32_t u, int out_shift) {
  int32_t k = u >> 16; /* floor (arithmetic shift) */
  uint32_t f = (uint32_t)u & 0xFFFFu;
  uint64_t m = ((uint64_t)EXP2_HI[f >> 8] * EXP2_LO[f & 0xFFu] + (1u << 23)) >> 24; /* 2^(f/65536), Q24 */
  uint64_t p = (uint64_t)mult * m;
  int32_t n = 24 - out_shift - k;
  if (n <= 0) return p << -n;
  if (n > 52) return 0; /* p < 2^38 < 2^(n-1) */
  return (p + ((uint64_t)1 << (n - 1))) >> n;
}

/* floor(a / b) for b > 0 */
static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && a < 0) q--;
  return q;
}

uint16_t pp_score_q15(int32_t d, unsigned shift) {
  uint32_t ad = (uint32_t)(d < 0 ? -d : d);
  int64_t v = (int64_t)(((uint64_t)ad * LOG2E_Q30 + ((uint64_t)1 << (13 + shift))) >> (14 + shift));
  int32_t u = v > -(int64_t)U_MIN_SCORE ? U_MIN_SCORE : (int32_t)-v;
  uint64_t e = scale_pow2(1, u, 30); /* e^(-|d|), Q30 */
  uint64_t den = ((uint64_t)1 << 30) + e;
  uint32_t s = (uint32_t)((((uint64_t)1 << 45) + (den >> 1)) / den);
  return (uint16_t)(d >= 0 ? s : 32768u - s);
}

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static int32_t centre_q4(uint32_t index, uint32_t step, uint32_t anchor, int16_t q, unsigned shift) {
  int64_t n = (int64_t)q * anchor * 8;
  int64_t d = (int64_t)5 << shift;
  return (int32_t)((2 * index + 1) * step * 8) + (int32_t)floor_div(2 * n + d, 2 * d);
}

static int32_t half_side_q4(uint32_t anchor, int16_t q, unsigned shift) {
  int64_t v = ((int64_t)q * LOG2E_FIFTH_Q30 + ((int64_t)1 << (13 + shift))) >> (14 + shift);
  int32_t u = v < U_MIN_SIZE ? U_MIN_SIZE : v > U_MAX_SIZE ? U_MAX_SIZE : (int32_t)v;
  return (int32_t)scale_pow2(anchor, u, 3);
}

void pp_decode(const pp_config *cfg, const pp_head *head, uint32_t row, uint32_t col, const int16_t loc[4],
               pp_box *box) {
  unsigned sh = head->loc_shift;
  int32_t cx = centre_q4(col, head->step, head->anchor, loc[0], sh);
  int32_t cy = centre_q4(row, head->step, head->anchor, loc[1], sh);
  int32_t hw = half_side_q4(head->anchor, loc[2], sh);
  int32_t hh = half_side_q4(head->anchor, loc[3], sh);
  int32_t xlo = -32768, xhi = 32767, ylo = -32768, yhi = 32767;
  if (cfg->clip) {
    xlo = 0;
    ylo = 0;
    xhi = (int32_t)cfg->image_width * 16;
    yhi = (int32_t)cfg->image_height * 16;
  }
  box->x1 = (int16_t)clamp32(cx - hw, xlo, xhi);
  box->y1 = (int16_t)clamp32(cy - hh, ylo, yhi);
  box->x2 = (int16_t)clamp32(cx + hw, xlo, xhi);
  box->y2 = (int16_t)clamp32(cy + hh, ylo, yhi);
}

uint32_t pp_num_priors(const pp_head *heads, uint16_t num_heads) {
  uint32_t n = 0;
  for (uint16_t h = 0; h < num_heads; h++) n += (uint32_t)heads[h].rows * heads[h].cols;
  return n;
}

static int valid(const pp_config *cfg) {
  if (cfg->num_heads < 1 || cfg->num_heads > PP_MAX_HEADS || cfg->heads == 0) return 0;
  for (uint16_t h = 0; h < cfg->num_heads; h++) {
    const pp_head *hd = &cfg->heads[h];
    if (hd->rows < 1 || hd->cols < 1 || hd->step < 1 || hd->anchor < 1 || hd->anchor > 4096) return 0;
    if ((uint32_t)hd->cols * hd->step > 65535u || (uint32_t)hd->rows * hd->step > 65535u) return 0;
    if (hd->conf_shift > 15 || hd->loc_shift > 15) return 0;
  }
  if (pp_num_priors(cfg->heads, cfg->num_heads) > 65535u) return 0;
  if (cfg->iou_den < 1 || cfg->iou_den > 1024 || cfg->iou_num > 1024) return 0;
  if (cfg->clip && (cfg->image_width > 2047 || cfg->image_height > 2047)) return 0;
  return 1;
}

static void sift_down(uint32_t *a, uint32_t root, uint32_t n) {
  for (;;) {
    uint32_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && a[child + 1] > a[child]) child++;
    if (a[root] >= a[child]) return;
    uint32_t t = a[root];
    a[root] = a[child];
    a[child] = t;
    root = child;
  }
}

/* Ascending heap sort. */
static void sort_keys(uint32_t *a, uint32_t n) {
  for (uint32_t i = n / 2; i-- > 0;) sift_down(a, i, n);
  for (uint32_t end = n; end > 1;) {
    end--;
    uint32_t t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift_down(a, 0, end);
  }
}

static int64_t area(const pp_box *b) { return (int64_t)(b->x2 - b->x1) * (b->y2 - b->y1); }

int32_t pp_detect(const pp_config *cfg, const int16_t *conf, const int16_t *loc, uint32_t *scratch,
                  pp_box *boxes) {
  if (!valid(cfg)) return PP_EINVAL;
  /* Candidates: key = score << 16 | (0xFFFF - prior), so a larger key ranks first. */
  uint32_t count = 0, p = 0;
  for (uint16_t h = 0; h < cfg->num_heads; h++) {
    const pp_head *hd = &cfg->heads[h];
    uint32_t cells = (uint32_t)hd->rows * hd->cols;
    for (uint32_t c = 0; c < cells; c++, p++) {
      uint32_t s = pp_score_q15((int32_t)conf[2 * p + 1] - conf[2 * p], hd->conf_shift);
      if (s > cfg->score_threshold) scratch[count++] = (s << 16) | (0xFFFFu - p);
    }
  }
  sort_keys(scratch, count);
  int32_t kept = 0;
  for (uint32_t r = count; r-- > 0 && kept < (int32_t)cfg->max_boxes;) {
    uint32_t key = scratch[r];
    uint32_t prior = 0xFFFFu - (key & 0xFFFFu), first = 0;
    const pp_head *hd = cfg->heads;
    while (prior - first >= (uint32_t)hd->rows * hd->cols) {
      first += (uint32_t)hd->rows * hd->cols;
      hd++;
    }
    uint32_t cell = prior - first;
    pp_box *b = &boxes[kept];
    pp_decode(cfg, hd, cell / hd->cols, cell % hd->cols, &loc[4 * prior], b);
    int64_t ab = area(b);
    int suppressed = 0;
    for (int32_t k = 0; k < kept && !suppressed; k++) {
      const pp_box *o = &boxes[k];
      int32_t iw = (b->x2 < o->x2 ? b->x2 : o->x2) - (b->x1 > o->x1 ? b->x1 : o->x1);
      if (iw <= 0) continue;
      int32_t ih = (b->y2 < o->y2 ? b->y2 : o->y2) - (b->y1 > o->y1 ? b->y1 : o->y1);
      if (ih <= 0) continue;
      int64_t inter = (int64_t)iw * ih;
      int64_t uni = ab + area(o) - inter;
      suppressed = inter * cfg->iou_den > (int64_t)cfg->iou_num * uni;
    }
    if (suppressed) continue;
    b->score = (uint16_t)(key >> 16);
    b->prior = (uint16_t)prior;
    kept++;
  }
  return kept;
}
