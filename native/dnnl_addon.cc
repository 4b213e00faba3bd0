// sciml's native CPU engine: a small Node-API addon over oneDNN (Debian libdnnl-dev 2.6).
// Every function works on caller-owned float32 buffers (TypedArrays, possibly views of the tfjs
// wasm heap) and integer shape parameters; primitives are cached per thread and shape.
// Built by scripts/build-native.mjs; loaded by src/runtime/native/addon.ts.
#include <node_api.h>
#include <omp.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

engine &cpu_engine() {
  static engine eng(engine::kind::cpu, 0);
  return eng;
}

struct Failure {
  std::string message;
};

#define NAPI_CHECK(call)                                  \
  do {                                                    \
    if ((call) != napi_ok) throw Failure{"napi: " #call}; \
  } while (0)

struct Args {
  napi_env env;
  std::vector<napi_value> values;
};

Args read_args(napi_env env, napi_callback_info info, size_t expected) {
  Args a{env, std::vector<napi_value>(expected)};
  size_t argc = expected;
  NAPI_CHECK(napi_get_cb_info(env, info, &argc, a.values.data(), nullptr, nullptr));
  if (argc < expected) throw Failure{"expected " + std::to_string(expected) + " arguments"};
  return a;
}

bool is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  NAPI_CHECK(napi_typeof(env, v, &t));
  return t == napi_null || t == napi_undefined;
}

// A Float32Array's data (already offset to the view's start) and length, checked.
float *f32(napi_env env, napi_value v, size_t expected, const char *what) {
  bool ok = false;
  NAPI_CHECK(napi_is_typedarray(env, v, &ok));
  if (!ok) throw Failure{std::string(what) + ": expected a Float32Array"};
  napi_typedarray_type type;
  size_t length;
  void *data;
  NAPI_CHECK(napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr));
  if (type != napi_float32_array) throw Failure{std::string(what) + ": expected a Float32Array"};
  if (length != expected) throw Failure{std::string(what) + ": expected " + std::to_string(expected) + " values, got " + std::to_string(length)};
  return static_cast<float *>(data);
}

std::vector<int64_t> ints(napi_env env, napi_value v, size_t expected, const char *what) {
  bool ok = false;
  NAPI_CHECK(napi_is_typedarray(env, v, &ok));
  if (!ok) throw Failure{std::string(what) + ": expected an Int32Array"};
  napi_typedarray_type type;
  size_t length;
  void *data;
  NAPI_CHECK(napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr));
  if (type != napi_int32_array || length != expected) throw Failure{std::string(what) + ": expected an Int32Array of " + std::to_string(expected)};
  const int32_t *p = static_cast<const int32_t *>(data);
  return std::vector<int64_t>(p, p + length);
}

int32_t int_arg(napi_env env, napi_value v) {
  int32_t out;
  NAPI_CHECK(napi_get_value_int32(env, v, &out));
  return out;
}

std::string key_of(const char *op, const std::vector<int64_t> &p) {
  std::string k(op);
  for (int64_t v : p) {
    k.push_back(':');
    k += std::to_string(v);
  }
  return k;
}

stream &thread_stream() {
  thread_local stream s(cpu_engine());
  return s;
}

// The OpenMP threads of one call, from its work: a call too small to share runs on one thread, and
// its primitive is created and run under that count (the count joins the cache key). Waking and
// joining a second thread costs tens of microseconds and oneDNN's reductions add barriers.
struct ScopedThreads {
  int saved;
  int count;
  ScopedThreads(double work, double work_per_thread) : saved(omp_get_max_threads()) {
    count = std::max(1, std::min(saved, static_cast<int>(work / work_per_thread)));
    omp_set_num_threads(count);
  }
  ~ScopedThreads() { omp_set_num_threads(saved); }
};

// ---- convolution (NHWC activations, HWIO filters, as tfjs stores them) ----

struct ConvShape {
  int64_t N, H, W, C, KH, KW, O, OH, OW, sh, sw, dh, dw, pt, pl, pb, pr;
  explicit ConvShape(const std::vector<int64_t> &p)
      : N(p[0]), H(p[1]), W(p[2]), C(p[3]), KH(p[4]), KW(p[5]), O(p[6]), OH(p[7]), OW(p[8]), sh(p[9]), sw(p[10]),
        dh(p[11]), dw(p[12]), pt(p[13]), pl(p[14]), pb(p[15]), pr(p[16]) {}
  memory::desc src() const { return {{N, C, H, W}, dt::f32, tag::nhwc}; }
  memory::desc dst() const { return {{N, O, OH, OW}, dt::f32, tag::nhwc}; }
  double flops() const { return 2.0 * N * OH * OW * O * C * KH * KW; }
  memory::desc weights_user() const { return {{O, C, KH, KW}, dt::f32, tag::hwio}; }
  memory::desc weights_any() const { return {{O, C, KH, KW}, dt::f32, tag::any}; }
  memory::desc bias() const { return {{O}, dt::f32, tag::x}; }
  memory::dims strides() const { return {sh, sw}; }
  memory::dims dilates() const { return {dh - 1, dw - 1}; }
  memory::dims pad_l() const { return {pt, pl}; }
  memory::dims pad_r() const { return {pb, pr}; }
  convolution_forward::desc fwd_desc(bool with_bias) const {
    if (with_bias)
      return convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src(), weights_any(), bias(), dst(), strides(), dilates(), pad_l(), pad_r());
    return convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src(), weights_any(), dst(), strides(), dilates(), pad_l(), pad_r());
  }
};

constexpr size_t kConvParams = 17;

// Measured on the denoiser (batch 64, 16 channels, kernel 9, lengths 31-500, each call at most
// 74 MFLOP): a second thread made no training step faster, even spinning, and waiting passively it
// made the backward-weights convolutions several times slower. Calls this small run on one thread.
constexpr double kConvFlopsPerThread = 100e6;

struct ConvThreads : ScopedThreads {
  explicit ConvThreads(const ConvShape &s) : ScopedThreads(s.flops(), kConvFlopsPerThread) {}
};

struct ConvFwd {
  convolution_forward::primitive_desc pd;
  convolution_forward prim;
  reorder to_weights;  // user HWIO -> the primitive's layout (identity if equal)
  memory weights;      // the reordered weights (owned)
  bool reorder_needed;
};

struct ConvBwdData {
  convolution_backward_data::primitive_desc pd;
  convolution_backward_data prim;
  reorder to_weights;
  memory weights;
  bool reorder_needed;
};

struct ConvBwdWeights {
  convolution_backward_weights::primitive_desc pd;
  convolution_backward_weights prim;
  reorder from_weights;  // the primitive's layout -> user HWIO
  memory diff_weights;
  bool reorder_needed;
};

template <typename T>
std::unordered_map<std::string, std::unique_ptr<T>> &cache() {
  thread_local std::unordered_map<std::string, std::unique_ptr<T>> c;
  return c;
}

// Activations a convolution block fuses (codes shared with src/runtime/native/conv-block.ts).
enum Activation { kLinear = 0, kRelu = 1, kElu = 2, kTanh = 3, kSigmoid = 4 };

Activation activation_arg(int code) {
  if (code < kLinear || code > kSigmoid) throw Failure{"unknown activation code " + std::to_string(code)};
  return static_cast<Activation>(code);
}

primitive_attr activation_attr(Activation act) {
  primitive_attr attr;
  if (act == kLinear) return attr;
  post_ops ops;
  const algorithm alg = act == kRelu ? algorithm::eltwise_relu : act == kElu ? algorithm::eltwise_elu : act == kTanh ? algorithm::eltwise_tanh : algorithm::eltwise_logistic;
  ops.append_eltwise(1.0f, alg, act == kElu ? 1.0f : 0.0f, 0.0f);
  attr.set_post_ops(ops);
  return attr;
}

ConvFwd &conv_fwd(const ConvShape &s, bool with_bias, Activation act, const std::string &key) {
  auto &c = cache<ConvFwd>();
  auto it = c.find(key);
  if (it != c.end()) return *it->second;
  auto e = std::make_unique<ConvFwd>();
  e->pd = convolution_forward::primitive_desc(s.fwd_desc(with_bias), activation_attr(act), cpu_engine());
  e->prim = convolution_forward(e->pd);
  e->reorder_needed = e->pd.weights_desc() != s.weights_user();
  e->weights = memory(e->pd.weights_desc(), cpu_engine());
  if (e->reorder_needed) e->to_weights = reorder(memory(s.weights_user(), cpu_engine(), nullptr), e->weights);
  return *(c[key] = std::move(e));
}

ConvBwdData &conv_bwd_data(const ConvShape &s, const std::string &key) {
  auto &c = cache<ConvBwdData>();
  auto it = c.find(key);
  if (it != c.end()) return *it->second;
  auto e = std::make_unique<ConvBwdData>();
  auto hint = convolution_forward::primitive_desc(s.fwd_desc(false), cpu_engine());
  convolution_backward_data::desc d(algorithm::convolution_direct, s.src(), s.weights_any(), s.dst(), s.strides(), s.dilates(), s.pad_l(), s.pad_r());
  e->pd = convolution_backward_data::primitive_desc(d, cpu_engine(), hint);
  e->prim = convolution_backward_data(e->pd);
  e->reorder_needed = e->pd.weights_desc() != s.weights_user();
  e->weights = memory(e->pd.weights_desc(), cpu_engine());
  if (e->reorder_needed) e->to_weights = reorder(memory(s.weights_user(), cpu_engine(), nullptr), e->weights);
  return *(c[key] = std::move(e));
}

ConvBwdWeights &conv_bwd_weights(const ConvShape &s, bool with_bias, const std::string &key) {
  auto &c = cache<ConvBwdWeights>();
  auto it = c.find(key);
  if (it != c.end()) return *it->second;
  auto e = std::make_unique<ConvBwdWeights>();
  auto hint = convolution_forward::primitive_desc(s.fwd_desc(with_bias), cpu_engine());
  if (with_bias) {
    convolution_backward_weights::desc d(algorithm::convolution_direct, s.src(), s.weights_any(), s.bias(), s.dst(), s.strides(), s.dilates(), s.pad_l(), s.pad_r());
    e->pd = convolution_backward_weights::primitive_desc(d, cpu_engine(), hint);
  } else {
    convolution_backward_weights::desc d(algorithm::convolution_direct, s.src(), s.weights_any(), s.dst(), s.strides(), s.dilates(), s.pad_l(), s.pad_r());
    e->pd = convolution_backward_weights::primitive_desc(d, cpu_engine(), hint);
  }
  e->prim = convolution_backward_weights(e->pd);
  e->reorder_needed = e->pd.diff_weights_desc() != s.weights_user();
  e->diff_weights = memory(e->pd.diff_weights_desc(), cpu_engine());
  if (e->reorder_needed) e->from_weights = reorder(e->diff_weights, memory(s.weights_user(), cpu_engine(), nullptr));
  return *(c[key] = std::move(e));
}

// convForward(x, w, bias | null, y, params[, activation]): y = act(conv(x, w) + bias), the
// activation applied inside the convolution (a oneDNN post-op) while its output is in cache.
napi_value ConvForward(napi_env env, napi_callback_info info) {
  Args a = read_args(env, info, 5);
  size_t argc = 6;
  napi_value argv[6];
  NAPI_CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Activation act = argc >= 6 && !is_null(env, argv[5]) ? activation_arg(int_arg(env, argv[5])) : kLinear;
  auto p = ints(env, a.values[4], kConvParams, "params");
  ConvShape s(p);
  bool with_bias = !is_null(env, a.values[2]);
  float *x = f32(env, a.values[0], s.N * s.H * s.W * s.C, "x");
  float *w = f32(env, a.values[1], s.KH * s.KW * s.C * s.O, "filter");
  float *b = with_bias ? f32(env, a.values[2], s.O, "bias") : nullptr;
  float *y = f32(env, a.values[3], s.N * s.OH * s.OW * s.O, "y");
  ConvThreads threads(s);
  p.push_back(with_bias);
  p.push_back(act);
  p.push_back(threads.count);
  ConvFwd &e = conv_fwd(s, with_bias, act, key_of("cf", p));
  stream &st = thread_stream();
  memory user_w(s.weights_user(), cpu_engine(), w);
  memory weights = user_w;
  if (e.reorder_needed) {
    e.to_weights.execute(st, user_w, e.weights);
    weights = e.weights;
  }
  std::unordered_map<int, memory> m{{DNNL_ARG_SRC, memory(s.src(), cpu_engine(), x)}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, memory(s.dst(), cpu_engine(), y)}};
  if (with_bias) m[DNNL_ARG_BIAS] = memory(s.bias(), cpu_engine(), b);
  e.prim.execute(st, m);
  st.wait();
  return nullptr;
}

void conv_backward_data(const ConvShape &s, std::vector<int64_t> p, float *dy, float *w, float *dx) {
  ConvThreads threads(s);
  p.push_back(threads.count);
  ConvBwdData &e = conv_bwd_data(s, key_of("cbd", p));
  stream &st = thread_stream();
  memory user_w(s.weights_user(), cpu_engine(), w);
  memory weights = user_w;
  if (e.reorder_needed) {
    e.to_weights.execute(st, user_w, e.weights);
    weights = e.weights;
  }
  e.prim.execute(st, {{DNNL_ARG_DIFF_DST, memory(s.dst(), cpu_engine(), dy)}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DIFF_SRC, memory(s.src(), cpu_engine(), dx)}});
  st.wait();
}

void conv_backward_weights(const ConvShape &s, std::vector<int64_t> p, float *x, float *dy, float *dw, float *db) {
  bool with_bias = db != nullptr;
  ConvThreads threads(s);
  p.push_back(with_bias);
  p.push_back(threads.count);
  ConvBwdWeights &e = conv_bwd_weights(s, with_bias, key_of("cbw", p));
  stream &st = thread_stream();
  memory user_dw(s.weights_user(), cpu_engine(), dw);
  std::unordered_map<int, memory> m{{DNNL_ARG_SRC, memory(s.src(), cpu_engine(), x)}, {DNNL_ARG_DIFF_DST, memory(s.dst(), cpu_engine(), dy)}, {DNNL_ARG_DIFF_WEIGHTS, e.reorder_needed ? e.diff_weights : user_dw}};
  if (with_bias) m[DNNL_ARG_DIFF_BIAS] = memory(s.bias(), cpu_engine(), db);
  e.prim.execute(st, m);
  if (e.reorder_needed) e.from_weights.execute(st, e.diff_weights, user_dw);
  st.wait();
}

// convBackwardData(dy, w, dx, params)
napi_value ConvBackwardData(napi_env env, napi_callback_info info) {
  Args a = read_args(env, info, 4);
  auto p = ints(env, a.values[3], kConvParams, "params");
  ConvShape s(p);
  float *dy = f32(env, a.values[0], s.N * s.OH * s.OW * s.O, "dy");
  float *w = f32(env, a.values[1], s.KH * s.KW * s.C * s.O, "filter");
  float *dx = f32(env, a.values[2], s.N * s.H * s.W * s.C, "dx");
  conv_backward_data(s, p, dy, w, dx);
  return nullptr;
}

// convBackwardWeights(x, dy, dw, dbias | null, params)
napi_value ConvBackwardWeights(napi_env env, napi_callback_info info) {
  Args a = read_args(env, info, 5);
  auto p = ints(env, a.values[4], kConvParams, "params");
  ConvShape s(p);
  bool with_bias = !is_null(env, a.values[3]);
  float *x = f32(env, a.values[0], s.N * s.H * s.W * s.C, "x");
  float *dy = f32(env, a.values[1], s.N * s.OH * s.OW * s.O, "dy");
  float *dw = f32(env, a.values[2], s.KH * s.KW * s.C * s.O, "dfilter");
  float *db = with_bias ? f32(env, a.values[3], s.O, "dbias") : nullptr;
  conv_backward_weights(s, p, x, dy, dw, db);
  return nullptr;
}

// The gradient at a block's pre-activation from its output y, dz = dy * act'(z) with act' written
// in terms of y = act(z), so the forward pass keeps only its output: oneDNN's "use_dst_for_bwd"
// eltwise algorithms (vectorised; a plain loop with the branch took 2.6 ns per element here).
struct EltwiseBwd {
  eltwise_backward prim;
};

void activation_backward(Activation act, float *y, float *dy, float *dz, int64_t n) {
  const algorithm alg = act == kRelu ? algorithm::eltwise_relu_use_dst_for_bwd : act == kElu ? algorithm::eltwise_elu_use_dst_for_bwd : act == kTanh ? algorithm::eltwise_tanh_use_dst_for_bwd : algorithm::eltwise_logistic_use_dst_for_bwd;
  const float alpha = act == kElu ? 1.0f : 0.0f;
  ScopedThreads threads(static_cast<double>(n), 1e6);
  auto &c = cache<EltwiseBwd>();
  const std::string key = key_of("eb", {act, n, threads.count});
  auto it = c.find(key);
  memory::desc d({n}, dt::f32, tag::a);
  if (it == c.end()) {
    auto e = std::make_unique<EltwiseBwd>();
    eltwise_forward::primitive_desc hint(eltwise_forward::desc(prop_kind::forward_training, alg, d, alpha, 0.0f), cpu_engine());
    e->prim = eltwise_backward(eltwise_backward::primitive_desc(eltwise_backward::desc(alg, d, d, alpha, 0.0f), cpu_engine(), hint));
    it = c.emplace(key, std::move(e)).first;
  }
  stream &st = thread_stream();
  it->second->prim.execute(st, {{DNNL_ARG_DST, memory(d, cpu_engine(), y)}, {DNNL_ARG_DIFF_DST, memory(d, cpu_engine(), dy)}, {DNNL_ARG_DIFF_SRC, memory(d, cpu_engine(), dz)}});
  st.wait();
}

// convBlockBackward(x, w, y, dy, dx | null, dw, dbias, params, activation): the gradients of
// y = act(conv(x, w) + bias) in one call; dx is skipped when null (the block reads the data).
napi_value ConvBlockBackward(napi_env env, napi_callback_info info) {
  Args a = read_args(env, info, 9);
  auto p = ints(env, a.values[7], kConvParams, "params");
  Activation act = activation_arg(int_arg(env, a.values[8]));
  ConvShape s(p);
  const int64_t out = s.N * s.OH * s.OW * s.O;
  float *x = f32(env, a.values[0], s.N * s.H * s.W * s.C, "x");
  float *w = f32(env, a.values[1], s.KH * s.KW * s.C * s.O, "filter");
  float *y = f32(env, a.values[2], out, "y");
  float *dy = f32(env, a.values[3], out, "dy");
  float *dx = is_null(env, a.values[4]) ? nullptr : f32(env, a.values[4], s.N * s.H * s.W * s.C, "dx");
  float *dw = f32(env, a.values[5], s.KH * s.KW * s.C * s.O, "dfilter");
  float *db = f32(env, a.values[6], s.O, "dbias");
  thread_local std::vector<float> scratch;
  float *dz = dy;
  if (act != kLinear) {
    if (scratch.size() < static_cast<size_t>(out)) scratch.resize(out);
    dz = scratch.data();
    activation_backward(act, y, dy, dz, out);
  }
  conv_backward_weights(s, p, x, dz, dw, db);
  if (dx) conv_backward_data(s, p, dz, w, dx);
  return nullptr;
}

// ---- pooling (NHWC) ----

struct PoolShape {
  int64_t N, H, W, C, KH, KW, OH, OW, sh, sw, pt, pl, pb, pr;
  explicit PoolShape(const std::vector<int64_t> &p)
      : N(p[0]), H(p[1]), W(p[2]), C(p[3]), KH(p[4]), KW(p[5]), OH(p[6]), OW(p[7]), sh(p[8]), sw(p[9]), pt(p[10]), pl(p[11]), pb(p[12]), pr(p[13]) {}
  memory::desc src() const { return {{N, C, H, W}, dt::f32, tag::nhwc}; }
  memory::desc dst() const { return {{N, C, OH, OW}, dt::f32, tag::nhwc}; }
  pooling_forward::desc fwd_desc(algorithm alg) const {
    return pooling_forward::desc(prop_kind::forward_training, alg, src(), dst(), {sh, sw}, {KH, KW}, {pt, pl}, {pb, pr});
  }
};

constexpr size_t kPoolParams = 14;

struct PoolEntry {
  pooling_forward::primitive_desc fwd_pd;
  pooling_forward fwd;
  pooling_backward::primitive_desc bwd_pd;
  pooling_backward bwd;
  memory workspace;
  bool has_workspace;
};

// tfjs's average pooling divides by the window's in-bounds size (padding excluded).
algorithm pool_alg(int kind) { return kind == 0 ? algorithm::pooling_max : algorithm::pooling_avg_exclude_padding; }

PoolEntry &pool_entry(const PoolShape &s, int kind, const std::string &key) {
  auto &c = cache<PoolEntry>();
  auto it = c.find(key);
  if (it != c.end()) return *it->second;
  auto e = std::make_unique<PoolEntry>();
  algorithm alg = pool_alg(kind);
  e->fwd_pd = pooling_forward::primitive_desc(s.fwd_desc(alg), cpu_engine());
  e->fwd = pooling_forward(e->fwd_pd);
  pooling_backward::desc bd(alg, s.src(), s.dst(), {s.sh, s.sw}, {s.KH, s.KW}, {s.pt, s.pl}, {s.pb, s.pr});
  e->bwd_pd = pooling_backward::primitive_desc(bd, cpu_engine(), e->fwd_pd);
  e->bwd = pooling_backward(e->bwd_pd);
  e->has_workspace = e->fwd_pd.workspace_desc().get_size() > 0;
  if (e->has_workspace) e->workspace = memory(e->fwd_pd.workspace_desc(), cpu_engine());
  return *(c[key] = std::move(e));
}

// Non-overlapping windows along one axis without padding (every 1-D pooling layer with
// pool_size == strides; tfjs pools 1-D data as [N, L, 1, C]): plain loops, vectorised over the
// contiguous inner values. oneDNN's pooling took 0.6-0.9 ms on 64 x 500 x 16 here, several times
// the cost of reading the data once.
struct Windows {
  int64_t rows, length, out_length, K, inner;  // x [rows, length, inner] -> y [rows, out_length, inner]
};

bool simple_windows(const PoolShape &s, Windows *w) {
  if (s.pt != 0 || s.pl != 0 || s.pb != 0 || s.pr != 0) return false;
  if (s.KW == 1 && s.sw == 1 && s.OW == s.W && s.KH == s.sh && s.OH * s.sh <= s.H) {
    *w = {s.N, s.H, s.OH, s.KH, s.W * s.C};
    return true;
  }
  if (s.KH == 1 && s.sh == 1 && s.OH == s.H && s.KW == s.sw && s.OW * s.sw <= s.W) {
    *w = {s.N * s.H, s.W, s.OW, s.KW, s.C};
    return true;
  }
  return false;
}

void simple_pool(int kind, const Windows &w, const float *x, float *y) {
  const int64_t C = w.inner, K = w.K;
  const float inv = 1.0f / static_cast<float>(K);
  for (int64_t row = 0; row < w.rows; row++) {
    const float *xr = x + row * w.length * C;
    float *yr = y + row * w.out_length * C;
    for (int64_t o = 0; o < w.out_length; o++) {
      const float *first = xr + o * K * C;
      float *out = yr + o * C;
      for (int64_t c = 0; c < C; c++) out[c] = first[c];
      for (int64_t k = 1; k < K; k++) {
        const float *v = first + k * C;
        if (kind == 0)
          for (int64_t c = 0; c < C; c++) out[c] = v[c] > out[c] ? v[c] : out[c];
        else
          for (int64_t c = 0; c < C; c++) out[c] += v[c];
      }
      if (kind == 1)
        for (int64_t c = 0; c < C; c++) out[c] *= inv;
    }
  }
}

// The gradient of simple_pool: an average window shares dy equally; a max window gives it to its
// first maximal element. Samples past the last whole window get zero.
void simple_pool_backward(int kind, const Windows &w, const float *x, const float *dy, float *dx) {
  const int64_t C = w.inner, K = w.K;
  const float inv = 1.0f / static_cast<float>(K);
  std::memset(dx, 0, w.rows * w.length * C * sizeof(float));
  for (int64_t row = 0; row < w.rows; row++) {
    const float *xr = x + row * w.length * C;
    float *dxr = dx + row * w.length * C;
    const float *dyr = dy + row * w.out_length * C;
    for (int64_t o = 0; o < w.out_length; o++) {
      const float *g = dyr + o * C;
      if (kind == 1) {
        for (int64_t k = 0; k < K; k++)
          for (int64_t c = 0; c < C; c++) dxr[(o * K + k) * C + c] = g[c] * inv;
        continue;
      }
      for (int64_t c = 0; c < C; c++) {
        int64_t best = 0;
        for (int64_t k = 1; k < K; k++)
          if (xr[(o * K + k) * C + c] > xr[(o * K + best) * C + c]) best = k;
        dxr[(o * K + best) * C + c] = g[c];
      }
    }
  }
}

// pool(kind 0 max | 1 average, x, y, params)
napi_value Pool(napi_env env, napi_callback_info info) {
  Args a = read_args(env, info, 4);
  int kind = int_arg(env, a.values[0]);
  auto p = ints(env, a.values[3], kPoolParams, "params");
  PoolShape s(p);
  float *x = f32(env, a.values[1], s.N * s.H * s.W * s.C, "x");
  float *y = f32(env, a.values[2], s.N * s.OH * s.OW * s.C, "y");
  Windows w;
  if (simple_windows(s, &w)) {
    simple_pool(kind, w, x, y);
    return nullptr;
  }
  p.push_back(kind);
  PoolEntry &e = pool_entry(s, kind, key_of("pool", p));
  stream &st = thread_stream();
  std::unordered_map<int, memory> m{{DNNL_ARG_SRC, memory(s.src(), cpu_engine(), x)}, {DNNL_ARG_DST, memory(s.dst(), cpu_engine(), y)}};
  if (e.has_workspace) m[DNNL_ARG_WORKSPACE] = e.workspace;
  e.fwd.execute(st, m);
  st.wait();
  return nullptr;
}

// poolBackward(kind, x, dy, dx, params): max pooling reruns the forward pass for its workspace.
napi_value PoolBackward(napi_env env, napi_callback_info info) {
  Args a = read_args(env, info, 5);
  int kind = int_arg(env, a.values[0]);
  auto p = ints(env, a.values[4], kPoolParams, "params");
  PoolShape s(p);
  float *x = f32(env, a.values[1], s.N * s.H * s.W * s.C, "x");
  float *dy = f32(env, a.values[2], s.N * s.OH * s.OW * s.C, "dy");
  float *dx = f32(env, a.values[3], s.N * s.H * s.W * s.C, "dx");
  Windows w;
  if (simple_windows(s, &w)) {
    simple_pool_backward(kind, w, x, dy, dx);
    return nullptr;
  }
  p.push_back(kind);
  PoolEntry &e = pool_entry(s, kind, key_of("pool", p));
  stream &st = thread_stream();
  std::unordered_map<int, memory> bm{{DNNL_ARG_DIFF_DST, memory(s.dst(), cpu_engine(), dy)}, {DNNL_ARG_DIFF_SRC, memory(s.src(), cpu_engine(), dx)}};
  std::vector<float> scratch;
  if (e.has_workspace) {
    scratch.resize(s.N * s.OH * s.OW * s.C);
    e.fwd.execute(st, {{DNNL_ARG_SRC, memory(s.src(), cpu_engine(), x)}, {DNNL_ARG_DST, memory(s.dst(), cpu_engine(), scratch.data())}, {DNNL_ARG_WORKSPACE, e.workspace}});
    bm[DNNL_ARG_WORKSPACE] = e.workspace;
  }
  e.bwd.execute(st, bm);
  st.wait();
  return nullptr;
}

// ---- memory movement and reductions the wasm backend does slowly ----

size_t f32_length(napi_env env, napi_value v, const char *what, float **data) {
  bool ok = false;
  NAPI_CHECK(napi_is_typedarray(env, v, &ok));
  napi_typedarray_type type;
  size_t length = 0;
  void *p = nullptr;
  if (ok) NAPI_CHECK(napi_get_typedarray_info(env, v, &type, &length, &p, nullptr, nullptr));
  if (!ok || type != napi_float32_array) throw Failure{std::string(what) + ": expected a Float32Array"};
  *data = static_cast<float *>(p);
  return length;
}

// copyRows(src, dst, params [rows, width, srcStride, srcOffset, dstStride, dstOffset]):
// dst[dstOffset + r*dstStride + i] = src[srcOffset + r*srcStride + i] for i < width, r < rows.
// Concatenation and splitting along any axis are a sequence of these.
napi_value CopyRows(napi_env env, napi_callback_info info) {
  Args a = read_args(env, info, 3);
  auto p = ints(env, a.values[2], 6, "params");
  int64_t rows = p[0], width = p[1], ss = p[2], so = p[3], ds = p[4], dof = p[5];
  float *src, *dst;
  size_t ns = f32_length(env, a.values[0], "src", &src);
  size_t nd = f32_length(env, a.values[1], "dst", &dst);
  if (rows < 0 || width < 0 || so < 0 || dof < 0) throw Failure{"copyRows: negative size or offset"};
  if (rows > 0 && ((size_t)(so + (rows - 1) * ss + width) > ns || (size_t)(dof + (rows - 1) * ds + width) > nd)) throw Failure{"copyRows: out of bounds"};
  for (int64_t r = 0; r < rows; r++) std::memcpy(dst + dof + r * ds, src + so + r * ss, width * sizeof(float));
  return nullptr;
}

// columnSums(x, out, params [rows, cols]): out[j] = sum_r x[r*cols + j], accumulated in double.
napi_value ColumnSums(napi_env env, napi_callback_info info) {
  Args a = read_args(env, info, 3);
  auto p = ints(env, a.values[2], 2, "params");
  int64_t rows = p[0], cols = p[1];
  float *x = f32(env, a.values[0], rows * cols, "x");
  float *out = f32(env, a.values[1], cols, "out");
  std::vector<double> acc(cols, 0.0);
  for (int64_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    for (int64_t j = 0; j < cols; j++) acc[j] += row[j];
  }
  for (int64_t j = 0; j < cols; j++) out[j] = static_cast<float>(acc[j]);
  return nullptr;
}

// gemm(A, B, C, params [transA, transB, M, N, K], alpha, beta): C = alpha op(A) op(B) + beta C,
// row-major, op(X) = X or its transpose; oneDNN's sgemm. The particle network's dense layers: a call
// is at most a few MFLOP, so one thread below 8 MFLOP, as for the recurrent steps.
napi_value Gemm(napi_env env, napi_callback_info info) {
  Args a = read_args(env, info, 6);
  auto p = ints(env, a.values[3], 5, "params");
  const bool ta = p[0] != 0, tb = p[1] != 0;
  const int64_t M = p[2], N = p[3], K = p[4];
  if (M < 0 || N < 0 || K < 0) throw Failure{"gemm: negative size"};
  double alpha = 0, beta = 0;
  NAPI_CHECK(napi_get_value_double(env, a.values[4], &alpha));
  NAPI_CHECK(napi_get_value_double(env, a.values[5], &beta));
  float *A = f32(env, a.values[0], M * K, "A");
  float *B = f32(env, a.values[1], K * N, "B");
  float *C = f32(env, a.values[2], M * N, "C");
  if (M == 0 || N == 0) return nullptr;
  ScopedThreads threads(2.0 * M * N * K, 8e6);
  dnnl_status_t status = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, static_cast<float>(alpha), A, ta ? M : K,
                                    B, tb ? K : N, static_cast<float>(beta), C, N);
  if (status != dnnl_success) throw Failure{"gemm: oneDNN sgemm failed (status " + std::to_string(status) + ")"};
  return nullptr;
}

// ---- recurrent sequences: GRU (linear-before-reset, = Keras reset_after=True) and LSTM ----
// x [N, T, F] batch-major (ntc), weights as Keras stores them ([F, G*U] and [U, G*U] are ldigo
// with one layer and direction), bias [Gb, U] in oneDNN's gate order (GRU: u, r, o, o'; LSTM:
// i, f, c, o), zero initial state, outputs every step's state [N, T, U].

struct RnnShape {
  int64_t N, T, F, U;
  int kind;  // 0 GRU (linear before reset), 1 LSTM
  RnnShape(int k, const std::vector<int64_t> &p) : N(p[0]), T(p[1]), F(p[2]), U(p[3]), kind(k) {}
  int64_t G() const { return kind == 0 ? 3 : 4; }
  int64_t Gb() const { return 4; }
  memory::desc src() const { return {{T, N, F}, dt::f32, tag::ntc}; }
  memory::desc dst() const { return {{T, N, U}, dt::f32, tag::ntc}; }
  memory::desc wl_user() const { return {{1, 1, F, G(), U}, dt::f32, tag::ldigo}; }
  memory::desc wi_user() const { return {{1, 1, U, G(), U}, dt::f32, tag::ldigo}; }
  memory::desc wl_any() const { return {{1, 1, F, G(), U}, dt::f32, tag::any}; }
  memory::desc wi_any() const { return {{1, 1, U, G(), U}, dt::f32, tag::any}; }
  memory::desc bias() const { return {{1, 1, Gb(), U}, dt::f32, tag::ldgo}; }
};

// A recurrent step is one small GEMM per gate block: for the particle model (128 events, 50 units)
// about 1 MFLOP, tens of microseconds. Sharing it between threads costs a wake-up and a barrier per
// step, more than the step: measured on 128 x 801 x 19, GRU(50), 1 thread trained 1,149 events/s,
// 2 threads 529 (waiting passively) or 997 (spinning). Steps this small run on one thread, and the
// primitives are created and run under the same count.
constexpr double kRnnFlopsPerThread = 8e6;

struct RnnThreads : ScopedThreads {
  explicit RnnThreads(const RnnShape &s) : ScopedThreads(2.0 * s.N * s.G() * s.U * (s.F + s.U), kRnnFlopsPerThread) {}
};

struct RnnEntry {
  primitive_desc fwd_pd;
  primitive fwd;
  primitive_desc bwd_pd;
  primitive bwd;
  memory fwd_wl, fwd_wi, bwd_wl, bwd_wi, diff_wl, diff_wi;
  size_t workspace_bytes = 0;
};

template <typename PD>
void prepare_weights(RnnEntry &e, const RnnShape &s, const PD &fwd, const memory::desc &bwd_wl, const memory::desc &bwd_wi, const memory::desc &diff_wl, const memory::desc &diff_wi) {
  e.fwd_wl = memory(fwd.weights_layer_desc(), cpu_engine());
  e.fwd_wi = memory(fwd.weights_iter_desc(), cpu_engine());
  e.bwd_wl = memory(bwd_wl, cpu_engine());
  e.bwd_wi = memory(bwd_wi, cpu_engine());
  e.diff_wl = memory(diff_wl, cpu_engine());
  e.diff_wi = memory(diff_wi, cpu_engine());
  e.workspace_bytes = fwd.workspace_desc().get_size();
}

RnnEntry &rnn_entry(const RnnShape &s, const std::string &key) {
  auto &c = cache<RnnEntry>();
  auto it = c.find(key);
  if (it != c.end()) return *it->second;
  auto e = std::make_unique<RnnEntry>();
  memory::desc none;
  const auto dir = rnn_direction::unidirectional_left2right;
  primitive_attr attr;
  attr.set_scratchpad_mode(scratchpad_mode::user);
  if (s.kind == 0) {
    lbr_gru_forward::desc fd(prop_kind::forward_training, dir, s.src(), none, s.wl_any(), s.wi_any(), s.bias(), s.dst(), none);
    lbr_gru_forward::primitive_desc fpd(fd, attr, cpu_engine());
    lbr_gru_backward::desc bd(prop_kind::backward, dir, s.src(), none, s.wl_any(), s.wi_any(), s.bias(), s.dst(), none, s.src(), none, s.wl_any(), s.wi_any(), s.bias(), s.dst(), none);
    lbr_gru_backward::primitive_desc bpd(bd, attr, cpu_engine(), fpd);
    prepare_weights(*e, s, fpd, bpd.weights_layer_desc(), bpd.weights_iter_desc(), bpd.diff_weights_layer_desc(), bpd.diff_weights_iter_desc());
    e->fwd = lbr_gru_forward(fpd);
    e->bwd = lbr_gru_backward(bpd);
    e->fwd_pd = fpd;
    e->bwd_pd = bpd;
  } else {
    lstm_forward::desc fd(prop_kind::forward_training, dir, s.src(), none, none, s.wl_any(), s.wi_any(), s.bias(), s.dst(), none, none);
    lstm_forward::primitive_desc fpd(fd, attr, cpu_engine());
    lstm_backward::desc bd(prop_kind::backward, dir, s.src(), none, none, s.wl_any(), s.wi_any(), s.bias(), s.dst(), none, none, s.src(), none, none, s.wl_any(), s.wi_any(), s.bias(), s.dst(), none, none);
    lstm_backward::primitive_desc bpd(bd, attr, cpu_engine(), fpd);
    prepare_weights(*e, s, fpd, bpd.weights_layer_desc(), bpd.weights_iter_desc(), bpd.diff_weights_layer_desc(), bpd.diff_weights_iter_desc());
    e->fwd = lstm_forward(fpd);
    e->bwd = lstm_backward(bpd);
    e->fwd_pd = fpd;
    e->bwd_pd = bpd;
  }
  return *(c[key] = std::move(e));
}

void copy_into(stream &st, memory from, memory &to) {
  if (from.get_desc() == to.get_desc()) {
    std::memcpy(to.get_data_handle(), from.get_data_handle(), from.get_desc().get_size());
  } else {
    reorder(from, to).execute(st, from, to);
  }
}

void free_workspace(napi_env, void *data, void *) { std::free(data); }

size_t aligned64(size_t bytes) { return (bytes + 63) / 64 * 64; }

// The recurrent primitives' scratchpad, one per thread, grown to the largest asked for: the two halves
// of a split batch run at once, and oneDNN's library-managed scratchpad crashed the second thread, so
// the primitives take a user scratchpad (a buffer per primitive would hold memory for every shape seen).
memory thread_scratchpad(const memory::desc &desc) {
  thread_local std::unique_ptr<void, decltype(&std::free)> buffer{nullptr, &std::free};
  thread_local size_t size = 0;
  const size_t bytes = aligned64(std::max<size_t>(desc.get_size(), 64));
  if (bytes > size) {
    buffer.reset(std::aligned_alloc(64, bytes));
    size = buffer ? bytes : 0;
    if (!buffer) throw Failure{"recurrent sequence: out of memory for the scratchpad"};
  }
  return memory(desc, cpu_engine(), buffer.get());
}

// One contiguous slice of the batch and its primitives (sequences are independent of each other).
struct RnnPart {
  RnnShape shape;
  int64_t first;     // the slice's first sequence
  RnnEntry *entry;   // its primitives and weight buffers (one per slice: backward accumulates into them)
  size_t ws_offset;  // its workspace's byte offset in the call's one workspace buffer
};

// A batch whose time steps are too small to share between threads (one engine thread per step) runs
// as two halves side by side when a second engine thread is free: measured with the GRU at 96-224
// steps, 128 sequences, 50 units, two halves at once took 0.64-0.80x the time of the whole batch on
// one thread, where splitting each step between two threads is slower than one. Under about 100
// MFLOP forward (20 steps of 32 units: 25 MFLOP) waking the second thread cost more than it saved.
// The split is a function of the shape and the thread budget only, so a call and its backward agree.
constexpr double kRnnSplitFlops = 100e6;
std::vector<RnnPart> rnn_plan(const RnnShape &s, std::vector<int64_t> key, int budget, int step_threads) {
  const double forward_flops = 2.0 * s.N * s.T * s.G() * s.U * (s.F + s.U);
  const int parts = (budget >= 2 && step_threads == 1 && s.N >= 32 && forward_flops >= kRnnSplitFlops) ? 2 : 1;
  std::vector<RnnPart> plan;
  int64_t first = 0;
  size_t ws = 0;
  for (int i = 0; i < parts; i++) {
    const int64_t n = s.N / parts + (i < s.N % parts ? 1 : 0);
    RnnShape part(s.kind, {n, s.T, s.F, s.U});
    std::vector<int64_t> k = key;
    k[0] = n;
    k.push_back(parts);
    k.push_back(i);
    RnnEntry &e = rnn_entry(part, key_of("rnn", k));
    plan.push_back({part, first, &e, ws});
    first += n;
    ws += aligned64(e.workspace_bytes);
  }
  return plan;
}

size_t plan_workspace_bytes(const std::vector<RnnPart> &plan) {
  return plan.back().ws_offset + aligned64(plan.back().entry->workspace_bytes);
}

// Runs f(i) for every part, the parts on their own OpenMP threads (oneDNN runs each primitive on the
// thread that calls it inside a parallel region). Errors are rethrown on the calling thread.
template <typename F>
void run_parts(size_t parts, F f) {
  if (parts == 1) return f(0);
  std::vector<std::string> errors(parts);
#pragma omp parallel for num_threads(static_cast<int>(parts)) schedule(static, 1)
  for (size_t i = 0; i < parts; i++) {
    try {
      f(i);
    } catch (const std::exception &e) {
      errors[i] = e.what()[0] ? e.what() : "unknown error";
    }
  }
  for (auto &m : errors)
    if (!m.empty()) throw Failure{"recurrent sequence: " + m};
}

// What rnnForward and rnnBackward share: kind x kernel recurrentKernel bias y as their first six
// arguments, params [N T F U] at `params_at`, the call's engine threads (held for the call) and its
// plan, made from the same shape and thread budget, so a backward pass splits as its forward did.
struct RnnCall {
  RnnShape s;
  float *x, *wl, *wi, *b, *y;
  int budget;
  RnnThreads threads;
  std::vector<RnnPart> plan;
  RnnCall(napi_env env, const Args &a, size_t params_at)
      : s(int_arg(env, a.values[0]), ints(env, a.values[params_at], 4, "params")),
        x(f32(env, a.values[1], s.N * s.T * s.F, "x")),
        wl(f32(env, a.values[2], s.F * s.G() * s.U, "kernel")),
        wi(f32(env, a.values[3], s.U * s.G() * s.U, "recurrentKernel")),
        b(f32(env, a.values[4], s.Gb() * s.U, "bias")),
        y(f32(env, a.values[5], s.N * s.T * s.U, "y")),
        budget(omp_get_max_threads()),
        threads(s) {
    plan = rnn_plan(s, {s.N, s.T, s.F, s.U, s.kind, omp_get_max_threads()}, budget, threads.count);
  }
};

// rnnForward(kind, x, kernel, recurrentKernel, bias, y, params [N T F U], reuse) -> workspace ArrayBuffer.
// `reuse` (an ArrayBuffer from an earlier call whose backward pass is done, or null) is used as the
// workspace when large enough: a fresh workspace is hundreds of MB for 801 steps, and the kernel
// zeroing its pages on first touch cost as much as the GRU itself.
napi_value RnnForward(napi_env env, napi_callback_info info) {
  Args a = read_args(env, info, 8);
  RnnCall call(env, a, 6);
  const RnnShape &s = call.s;
  float *x = call.x, *wl = call.wl, *wi = call.wi, *b = call.b, *y = call.y;
  const std::vector<RnnPart> &plan = call.plan;
  stream &st = thread_stream();
  for (auto &part : plan) {
    copy_into(st, memory(s.wl_user(), cpu_engine(), wl), part.entry->fwd_wl);
    copy_into(st, memory(s.wi_user(), cpu_engine(), wi), part.entry->fwd_wi);
  }
  st.wait();
  size_t bytes = plan_workspace_bytes(plan);
  napi_value buffer = a.values[7];
  void *ws = nullptr;
  size_t reuse_bytes = 0;
  if (!is_null(env, buffer)) NAPI_CHECK(napi_get_arraybuffer_info(env, buffer, &ws, &reuse_bytes));
  if (ws == nullptr || reuse_bytes < bytes || reinterpret_cast<uintptr_t>(ws) % 64 != 0) {
    ws = std::aligned_alloc(64, bytes > 0 ? bytes : 64);
    if (!ws) throw Failure{"rnnForward: out of memory for the workspace"};
    if (napi_create_external_arraybuffer(env, ws, bytes, free_workspace, nullptr, &buffer) != napi_ok) {
      std::free(ws);
      throw Failure{"rnnForward: could not hand the workspace to JS"};
    }
  }
  char *workspace = static_cast<char *>(ws);
  run_parts(plan.size(), [&](size_t i) {
    const RnnPart &part = plan[i];
    const RnnShape &ps = part.shape;
    stream &pst = thread_stream();
    part.entry->fwd.execute(pst, {{DNNL_ARG_SRC_LAYER, memory(ps.src(), cpu_engine(), x + part.first * s.T * s.F)},
                                  {DNNL_ARG_WEIGHTS_LAYER, part.entry->fwd_wl},
                                  {DNNL_ARG_WEIGHTS_ITER, part.entry->fwd_wi},
                                  {DNNL_ARG_BIAS, memory(ps.bias(), cpu_engine(), b)},
                                  {DNNL_ARG_DST_LAYER, memory(ps.dst(), cpu_engine(), y + part.first * s.T * s.U)},
                                  {DNNL_ARG_WORKSPACE, memory(part.entry->fwd_pd.workspace_desc(), cpu_engine(),
                                                              workspace + part.ws_offset)},
                                  {DNNL_ARG_SCRATCHPAD, thread_scratchpad(part.entry->fwd_pd.scratchpad_desc())}});
    pst.wait();
  });
  return buffer;
}

// rnnBackward(kind, x, kernel, recurrentKernel, bias, y, dy, workspace, dx, dKernel, dRecurrentKernel, dBias, params)
napi_value RnnBackward(napi_env env, napi_callback_info info) {
  Args a = read_args(env, info, 13);
  RnnCall call(env, a, 12);
  const RnnShape &s = call.s;
  float *x = call.x, *wl = call.wl, *wi = call.wi, *b = call.b, *y = call.y;
  const std::vector<RnnPart> &plan = call.plan;
  float *dy = f32(env, a.values[6], s.N * s.T * s.U, "dy");
  void *ws = nullptr;
  size_t ws_bytes = 0;
  NAPI_CHECK(napi_get_arraybuffer_info(env, a.values[7], &ws, &ws_bytes));
  float *dx = f32(env, a.values[8], s.N * s.T * s.F, "dx");
  float *dwl = f32(env, a.values[9], s.F * s.G() * s.U, "dKernel");
  float *dwi = f32(env, a.values[10], s.U * s.G() * s.U, "dRecurrentKernel");
  float *db = f32(env, a.values[11], s.Gb() * s.U, "dBias");
  if (ws_bytes < plan_workspace_bytes(plan)) throw Failure{"rnnBackward: the workspace is not from rnnForward of this shape"};
  stream &st = thread_stream();
  const int64_t nb = s.Gb() * s.U;
  std::vector<float> part_db(plan.size() * nb, 0.0f);
  for (auto &part : plan) {
    RnnEntry &e = *part.entry;
    copy_into(st, memory(s.wl_user(), cpu_engine(), wl), e.bwd_wl);
    copy_into(st, memory(s.wi_user(), cpu_engine(), wi), e.bwd_wi);
    // oneDNN accumulates weight and bias gradients: start them at zero.
    std::memset(e.diff_wl.get_data_handle(), 0, e.diff_wl.get_desc().get_size());
    std::memset(e.diff_wi.get_data_handle(), 0, e.diff_wi.get_desc().get_size());
  }
  st.wait();
  char *workspace = static_cast<char *>(ws);
  run_parts(plan.size(), [&](size_t i) {
    const RnnPart &part = plan[i];
    const RnnShape &ps = part.shape;
    RnnEntry &e = *part.entry;
    const int64_t xo = part.first * s.T * s.F, yo = part.first * s.T * s.U;
    stream &pst = thread_stream();
    e.bwd.execute(pst, {{DNNL_ARG_SRC_LAYER, memory(ps.src(), cpu_engine(), x + xo)},
                        {DNNL_ARG_WEIGHTS_LAYER, e.bwd_wl},
                        {DNNL_ARG_WEIGHTS_ITER, e.bwd_wi},
                        {DNNL_ARG_BIAS, memory(ps.bias(), cpu_engine(), b)},
                        {DNNL_ARG_DST_LAYER, memory(ps.dst(), cpu_engine(), y + yo)},
                        {DNNL_ARG_DIFF_DST_LAYER, memory(ps.dst(), cpu_engine(), dy + yo)},
                        {DNNL_ARG_WORKSPACE, memory(e.fwd_pd.workspace_desc(), cpu_engine(), workspace + part.ws_offset)},
                        {DNNL_ARG_DIFF_SRC_LAYER, memory(ps.src(), cpu_engine(), dx + xo)},
                        {DNNL_ARG_DIFF_WEIGHTS_LAYER, e.diff_wl},
                        {DNNL_ARG_DIFF_WEIGHTS_ITER, e.diff_wi},
                        {DNNL_ARG_DIFF_BIAS, memory(ps.bias(), cpu_engine(), part_db.data() + i * nb)},
                        {DNNL_ARG_SCRATCHPAD, thread_scratchpad(e.bwd_pd.scratchpad_desc())}});
    pst.wait();
  });
  // The parts' weight and bias gradients, summed in part order.
  memory user_dwl(s.wl_user(), cpu_engine(), dwl);
  memory user_dwi(s.wi_user(), cpu_engine(), dwi);
  copy_into(st, plan[0].entry->diff_wl, user_dwl);
  copy_into(st, plan[0].entry->diff_wi, user_dwi);
  std::vector<float> more_wl(plan.size() > 1 ? s.F * s.G() * s.U : 0), more_wi(plan.size() > 1 ? s.U * s.G() * s.U : 0);
  for (size_t i = 1; i < plan.size(); i++) {
    memory m_wl(s.wl_user(), cpu_engine(), more_wl.data()), m_wi(s.wi_user(), cpu_engine(), more_wi.data());
    copy_into(st, plan[i].entry->diff_wl, m_wl);
    copy_into(st, plan[i].entry->diff_wi, m_wi);
    st.wait();
    for (size_t k = 0; k < more_wl.size(); k++) dwl[k] += more_wl[k];
    for (size_t k = 0; k < more_wi.size(); k++) dwi[k] += more_wi[k];
  }
  st.wait();
  for (int64_t k = 0; k < nb; k++) {
    float sum = 0.0f;
    for (size_t i = 0; i < plan.size(); i++) sum += part_db[i * nb + k];
    db[k] = sum;
  }
  return nullptr;
}

// ---- engine facts and threads ----

const char *isa_name(cpu_isa isa) {
  switch (isa) {
    case cpu_isa::sse41: return "sse41";
    case cpu_isa::avx: return "avx";
    case cpu_isa::avx2: return "avx2";
    case cpu_isa::avx2_vnni: return "avx2_vnni";
    case cpu_isa::avx512_mic: return "avx512_mic";
    case cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case cpu_isa::avx512_core: return "avx512_core";
    case cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "all";
  }
}

napi_value make_string(napi_env env, const std::string &s) {
  napi_value v;
  NAPI_CHECK(napi_create_string_utf8(env, s.c_str(), s.size(), &v));
  return v;
}

napi_value make_int(napi_env env, int64_t i) {
  napi_value v;
  NAPI_CHECK(napi_create_int64(env, i, &v));
  return v;
}

// info() -> { version, isa, threads } (threads: what this thread's calls will use)
napi_value Info(napi_env env, napi_callback_info) {
  const version_t *v = dnnl::version();
  napi_value out;
  NAPI_CHECK(napi_create_object(env, &out));
  std::string version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  NAPI_CHECK(napi_set_named_property(env, out, "version", make_string(env, version)));
  NAPI_CHECK(napi_set_named_property(env, out, "isa", make_string(env, isa_name(get_effective_cpu_isa()))));
  NAPI_CHECK(napi_set_named_property(env, out, "threads", make_int(env, omp_get_max_threads())));
  NAPI_CHECK(napi_set_named_property(env, out, "cpuRuntime", make_string(env, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other")));
  return out;
}

// setThreads(n): the OpenMP threads of calls made from the calling JS thread.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a = read_args(env, info, 1);
  int n = int_arg(env, a.values[0]);
  if (n < 1) throw Failure{"setThreads: expected a positive count"};
  omp_set_num_threads(n);
  return nullptr;
}

// oneDNN's generated GEMM kernels (under sgemm, inner products and the recurrent passes) point rsp at
// a heap buffer while they run, so a signal handler running mid-kernel writes its frame into the heap
// (oneDNN issue #4845, fixed in 3.11.2; Debian has 2.6). Under `node --cpu-prof` (a SIGPROF every
// millisecond) every native particles run aborted in a free() inside dnnl_sgemm or the GRU backward
// ("corrupted size vs. prev_size"), and a SIGINT or SIGCHLD arriving there could corrupt memory
// silently. Every call into the engine therefore defers asynchronous signals until it returns (they
// stay pending and arrive then; a profile counts such a call as one sample); faults are never blocked.
// The cost, two syscalls a call, is 3.5 us on this project's 2-core VM.
struct SignalsDeferred {
  sigset_t previous;
  SignalsDeferred() {
    sigset_t deferred;
    sigfillset(&deferred);
    for (int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP}) sigdelset(&deferred, fault);
    pthread_sigmask(SIG_BLOCK, &deferred, &previous);
  }
  ~SignalsDeferred() { pthread_sigmask(SIG_SETMASK, &previous, nullptr); }
  SignalsDeferred(const SignalsDeferred &) = delete;
  SignalsDeferred &operator=(const SignalsDeferred &) = delete;
};

template <napi_value (*F)(napi_env, napi_callback_info)>
napi_value guarded(napi_env env, napi_callback_info info) {
  SignalsDeferred deferred;
  try {
    return F(env, info);
  } catch (const Failure &f) {
    napi_throw_error(env, nullptr, ("sciml native: " + f.message).c_str());
  } catch (const dnnl::error &e) {
    napi_throw_error(env, nullptr, (std::string("sciml native: oneDNN: ") + e.what()).c_str());
  } catch (const std::exception &e) {
    napi_throw_error(env, nullptr, (std::string("sciml native: ") + e.what()).c_str());
  }
  return nullptr;
}

}  // namespace

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"info", nullptr, guarded<Info>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, guarded<SetThreads>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convForward", nullptr, guarded<ConvForward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convBackwardData", nullptr, guarded<ConvBackwardData>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convBackwardWeights", nullptr, guarded<ConvBackwardWeights>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convBlockBackward", nullptr, guarded<ConvBlockBackward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pool", nullptr, guarded<Pool>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"poolBackward", nullptr, guarded<PoolBackward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"copyRows", nullptr, guarded<CopyRows>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"columnSums", nullptr, guarded<ColumnSums>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemm", nullptr, guarded<Gemm>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rnnForward", nullptr, guarded<RnnForward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rnnBackward", nullptr, guarded<RnnBackward>, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  NAPI_CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE_INIT() {
  try {
    return Init(env, exports);
  } catch (const Failure &f) {
    napi_throw_error(env, nullptr, f.message.c_str());
    return nullptr;
  }
}
