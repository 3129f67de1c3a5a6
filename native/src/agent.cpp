// DDPG actor and critic for AC-ODM on plain libtorch tensors. The optimizer is optim.h's, shared with the model,
// so the checkpoint holds every bit of optimizer state and a resumed agent takes exactly the same steps.
#include "acodm/agent.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <vector>

#include <ATen/Parallel.h>

#include "archive.h"
#include "compute_env.h"
#include "device.h"
#include "key_values.h"
#include "optim.h"
#include "require.h"

namespace acodm {
namespace {

constexpr const char* kAgentMagic = "acodm-agent-networks";
constexpr const char* kActorMagic = "acodm-exported-actor";
// Version 2 added the soft actor's regulariser (prior, temperature and its adaptation) to the checkpoint; version 3
// the critic's form and the concat critic's action normalisation.
constexpr int64_t kAgentVersion = 3;
constexpr const char* kAgentOlder =
    "before version 3 the critic saw the raw action only; such an agent cannot continue under this build: restart the run, "
    "or finish it with the acodm that started it";
constexpr int64_t kActorVersion = 1;
// The adapted temperature stays within these bounds: far outside them the actor is uniform-on-the-prior or
// greedy anyway, and log tau must not run off towards an overflow in a long run.
constexpr double kMinTemperature = 1e-4, kMaxTemperature = 1e4;
constexpr double kLayerNormEps = 1e-5;
// DDPG (Lillicrap et al. 2016) draws the last layers from U(-3e-3, 3e-3): the softmax actor then starts at
// almost exactly uniform weights, and the critic's first targets are near 0 instead of a random offset.
constexpr double kFinalInit = 3e-3;

// A LayerNorm MLP: per hidden layer {W, b, gain, shift}, then the output {W, b}.
struct Mlp {
  int in = 0, hidden = 0, layers = 0, out = 0;
  std::vector<torch::Tensor> params;

  void init(int in_dim, int hidden_dim, int num_layers, int out_dim, at::Generator& gen, const torch::Device& device) {
    in = in_dim, hidden = hidden_dim, layers = num_layers, out = out_dim;
    params.clear();
    // torch.nn.Linear's default: kaiming_uniform(a = sqrt(5)) on the weight = U(+-1/sqrt(fan_in)), same bound
    // for the bias.
    auto uniform = [&](std::vector<int64_t> size, double bound) {
      auto t = torch::empty(size, torch::kFloat32);
      t.uniform_(-bound, bound, gen);
      return t;
    };
    int fan_in = in;
    for (int l = 0; l < layers; ++l) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
      params.push_back(uniform({hidden, fan_in}, bound));
      params.push_back(uniform({hidden}, bound));
      params.push_back(torch::ones({hidden}));
      params.push_back(torch::zeros({hidden}));
      fan_in = hidden;
    }
    params.push_back(uniform({out, fan_in}, kFinalInit));
    params.push_back(uniform({out}, kFinalInit));
    for (auto& p : params) p = p.to(device).set_requires_grad(true);
  }

  torch::Tensor forward(torch::Tensor x) const {
    size_t i = 0;
    for (int l = 0; l < layers; ++l, i += 4) {
      x = torch::linear(x, params[i], params[i + 1]);
      x = torch::layer_norm(x, {hidden}, params[i + 2], params[i + 3], kLayerNormEps);
      x = torch::relu(x);
    }
    return torch::linear(x, params[i], params[i + 1]);
  }

  std::string name(const std::string& prefix, size_t i) const {
    const size_t l = i / 4;
    if (static_cast<int>(l) >= layers) return prefix + ".out." + (i % 2 == 0 ? "weight" : "bias");
    static const char* kinds[] = {"linear.weight", "linear.bias", "norm.weight", "norm.bias"};
    return prefix + "." + std::to_string(l) + "." + kinds[i % 4];
  }

  int64_t numel() const {
    int64_t n = 0;
    for (const auto& p : params) n += p.numel();
    return n;
  }
};

// An Adam state's archive keys beside its network's parameter names: "actor.exp_avg.0.linear.weight".
Adam::Key adamKeys(const std::string& prefix, const Mlp& net) {
  return [prefix, &net](const std::string& moment, size_t i) { return net.name(prefix + "." + moment, i); };
}

void copyInto(Mlp& dst, const Mlp& src) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < dst.params.size(); ++i) dst.params[i].copy_(src.params[i]);
}

KeyValues shapeItems(int state, int actions, int hidden, int layers) {
  return {{"state", numberText(state)}, {"actions", numberText(actions)}, {"hidden", numberText(hidden)},
          {"layers", numberText(layers)}};
}

std::string shapeString(int state, int actions, int hidden, int layers) {
  return encodeKeyValues(shapeItems(state, actions, hidden, layers), ',');
}

// "key (a here vs b in the file)" for each key whose value differs between two configuration strings.
std::string describeDifference(const std::string& mine, const std::string& theirs) {
  std::string out;
  for (const auto& k : differingKeys(mine, theirs, ',', " here", " in the file")) out += (out.empty() ? "" : "; ") + k;
  return out.empty() ? mine + " vs " + theirs : out;
}

}  // namespace

const char* formName(int form) { return form == kCriticShaped ? "shaped" : "concat"; }

struct AgentNetworks::Impl {
  int state_dim = 0, actions = 0, hidden = 0, layers = 0, critic_outputs = 0, critic_form = kCriticConcat;
  torch::Device device = torch::kCPU;
  Mlp actor, critic, actor_target, critic_target;
  Adam actor_opt, critic_opt;  // each network steps on its own count
  std::optional<OptimizerSettings> opt;  // set by setOptimizer() or load(); none before
  int threads = 0;
  // The soft actor's regulariser: the normalised prior (and its log on the device), tau and its adaptation.
  std::vector<double> prior;
  torch::Tensor log_prior;
  double tau = 0, target_entropy = 0, tau_lr = 0;
  // The concat critic's action input (a - center) / scale; center 0 and scale 1 feed the raw action.
  std::vector<double> action_center;
  double action_scale = 1;
  torch::Tensor center_t;

  void setActionNorm(const std::vector<double>& center, double scale) {
    action_center = center;
    action_scale = scale;
    std::vector<float> c(center.begin(), center.end());
    center_t = torch::tensor(c, torch::kFloat32).to(device);
  }

  bool shaped() const { return critic_form == kCriticShaped; }

  void setPrior(const std::vector<double>& p) {
    prior = p;
    std::vector<float> logs(p.size());
    for (size_t i = 0; i < p.size(); ++i) logs[i] = static_cast<float>(std::log(p[i]));
    log_prior = torch::tensor(logs, torch::kFloat32).to(device);
  }

  bool hasCritic() const { return critic_outputs > 0; }

  const OptimizerSettings& settings() const {
    require(opt.has_value(), "the agent networks have no optimizer settings: call setOptimizer() before their first update");
    return *opt;
  }

  void requireCritic(const char* what) const {
    if (!hasCritic())
      throw std::invalid_argument(std::string(what) +
                                  ": this agent has no critic (it was built actor-only, for a frozen transferred actor)");
  }

  std::string config() const {
    auto items = shapeItems(state_dim, actions, hidden, layers);
    items.emplace_back("critic_outputs", numberText(critic_outputs));
    items.emplace_back("critic", formName(critic_form));
    return encodeKeyValues(items, ',');
  }

  // Copies a caller's row-major [n, cols] float array into a tensor on the device.
  torch::Tensor input(const float* data, int n, int cols, const char* what) const {
    require(data != nullptr, std::string(what) + " is null");
    require(n >= 1, std::string(what) + ": batch size must be >= 1, got " + std::to_string(n));
    auto t = torch::from_blob(const_cast<float*>(data), {n, cols}, torch::kFloat32).clone();
    return t.to(device);
  }

  torch::Tensor policy(const Mlp& net, const torch::Tensor& s) const { return torch::softmax(net.forward(s), -1); }

  // Q(s, a) of `net` (the online critic or its target): [n, critic_outputs], or [n, 1] for the shaped form.
  torch::Tensor q(const Mlp& net, const torch::Tensor& s, const torch::Tensor& a) const {
    if (shaped()) {
      auto heads = net.forward(s);
      return heads.narrow(1, 0, 1) + (a * heads.narrow(1, 1, actions)).sum(1, /*keepdim=*/true);
    }
    return net.forward(torch::cat({s, (a - center_t) / action_scale}, 1));
  }

  static void output(const torch::Tensor& t, float* out, const char* what) {
    require(out != nullptr, std::string(what) + " output buffer is null");
    auto c = t.detach().to(torch::kCPU).contiguous();
    std::copy_n(c.data_ptr<float>(), c.numel(), out);
  }
};

AgentNetworks::AgentNetworks(int state_dim, int num_actions, int hidden, int layers, int critic_outputs, int64_t seed,
                             const std::string& device, int critic_form)
    : impl_(new Impl) {
  require(state_dim >= 1, "agent state dimension must be >= 1, got " + std::to_string(state_dim));
  require(num_actions >= 2, "agent needs >= 2 actions (domains), got " + std::to_string(num_actions));
  require(hidden >= 1, "agent hidden width must be >= 1, got " + std::to_string(hidden));
  require(layers >= 1, "agent hidden layers must be >= 1, got " + std::to_string(layers));
  require(critic_outputs == 0 || critic_outputs == 1 || critic_outputs == num_actions,
          "critic outputs must be 1 (scalar reward), K = " + std::to_string(num_actions) +
              " (vector reward) or 0 (actor only), got " + std::to_string(critic_outputs));
  require(critic_form == kCriticConcat || critic_form == kCriticShaped,
          "critic form must be 0 (concat) or 1 (shaped), got " + std::to_string(critic_form));
  require(critic_form == kCriticConcat || critic_outputs == 0 || critic_outputs == num_actions,
          "the shaped critic Q = V(s) + a . q(s) learns from per-domain reward vectors: critic outputs must be K = " +
              std::to_string(num_actions) + ", got " + std::to_string(critic_outputs));
  auto& m = *impl_;
  m.state_dim = state_dim, m.actions = num_actions, m.hidden = hidden, m.layers = layers;
  m.critic_outputs = critic_outputs;
  m.critic_form = critic_form;
  m.device = resolveDevice(device);
  m.setPrior(std::vector<double>(num_actions, 1.0 / num_actions));
  m.setActionNorm(std::vector<double>(num_actions, 0.0), 1.0);
  auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
  m.actor.init(state_dim, hidden, layers, num_actions, gen, m.device);
  m.actor_target.init(state_dim, hidden, layers, num_actions, gen, m.device);
  copyInto(m.actor_target, m.actor);
  m.actor_opt.reset(m.actor.params);
  if (m.hasCritic()) {
    const int in = m.shaped() ? state_dim : state_dim + num_actions;
    const int out = m.shaped() ? 1 + num_actions : critic_outputs;
    m.critic.init(in, hidden, layers, out, gen, m.device);
    m.critic_target.init(in, hidden, layers, out, gen, m.device);
    copyInto(m.critic_target, m.critic);
    m.critic_opt.reset(m.critic.params);
  }
}

AgentNetworks::~AgentNetworks() = default;

int AgentNetworks::stateDim() const { return impl_->state_dim; }
int AgentNetworks::numActions() const { return impl_->actions; }
int AgentNetworks::hidden() const { return impl_->hidden; }
int AgentNetworks::layers() const { return impl_->layers; }
int AgentNetworks::criticOutputs() const { return impl_->critic_outputs; }
int AgentNetworks::criticForm() const { return impl_->critic_form; }
std::string AgentNetworks::deviceName() const { return impl_->device.str(); }
std::string AgentNetworks::configString() const { return impl_->config(); }
int64_t AgentNetworks::numParameters() const { return impl_->actor.numel() + impl_->critic.numel(); }

void AgentNetworks::setOptimizer(const OptimizerSettings& settings) {
  validate(settings, "agent optimizer");
  require(settings.grad_clip == 0, "agent optimizer: the agent networks do not clip gradients, grad_clip must be 0, got " +
                                       std::to_string(settings.grad_clip));
  impl_->opt = settings;
}

void AgentNetworks::setThreads(int threads) {
  require(threads >= 0, "agent threads must be >= 0, got " + std::to_string(threads));
  impl_->threads = threads;
}
int AgentNetworks::threads() const { return impl_->threads; }

void AgentNetworks::setRegulariser(const float* prior, double tau, double target_entropy, double tau_lr) {
  auto& m = *impl_;
  require(prior != nullptr, "setRegulariser: prior is null");
  std::vector<double> p(m.actions);
  double sum = 0;
  for (int i = 0; i < m.actions; ++i) {
    p[i] = prior[i];
    require(std::isfinite(p[i]) && p[i] > 0, "setRegulariser: prior weight " + std::to_string(i) + " is " +
                                                 std::to_string(p[i]) + "; every weight must be finite and > 0 (KL to a "
                                                 "prior with a zero is infinite wherever the actor gives that action weight)");
    sum += p[i];
  }
  for (auto& v : p) v /= sum;
  require(std::isfinite(tau) && tau >= 0, "setRegulariser: tau must be finite and >= 0, got " + std::to_string(tau));
  const double max_entropy = std::log(static_cast<double>(m.actions));
  require(std::isfinite(target_entropy) && target_entropy >= 0 && target_entropy <= max_entropy,
          "setRegulariser: target entropy must be in [0, ln K = " + std::to_string(max_entropy) + "] nats, got " +
              std::to_string(target_entropy));
  require(std::isfinite(tau_lr) && tau_lr >= 0, "setRegulariser: tau_lr must be finite and >= 0, got " + std::to_string(tau_lr));
  if (target_entropy > 0)
    require(tau >= kMinTemperature && tau <= kMaxTemperature && tau_lr > 0,
            "setRegulariser: adapting tau towards a target entropy needs tau in [1e-4, 1e4] to start from and tau_lr > 0, got tau " +
                std::to_string(tau) + ", tau_lr " + std::to_string(tau_lr));
  m.setPrior(p);
  m.tau = tau, m.target_entropy = target_entropy, m.tau_lr = tau_lr;
}

double AgentNetworks::temperature() const { return impl_->tau; }

void AgentNetworks::setActionNormalisation(const float* center, double scale) {
  auto& m = *impl_;
  require(!m.shaped(), "setActionNormalisation: the shaped critic multiplies the action, it does not take it as input");
  require(center != nullptr, "setActionNormalisation: center is null");
  require(std::isfinite(scale) && scale > 0, "setActionNormalisation: scale must be finite and > 0, got " + std::to_string(scale));
  std::vector<double> c(m.actions);
  for (int i = 0; i < m.actions; ++i) {
    c[i] = center[i];
    require(std::isfinite(c[i]), "setActionNormalisation: center " + std::to_string(i) + " is not finite");
  }
  m.setActionNorm(c, scale);
}

double AgentNetworks::learningRate(int64_t step) const { return impl_->settings().learningRate(step); }
int64_t AgentNetworks::actorSteps() const { return impl_->actor_opt.steps(); }
int64_t AgentNetworks::criticSteps() const { return impl_->critic_opt.steps(); }

void AgentNetworks::act(const float* states, int n, float* out) const {
  ThreadScope scope(impl_->threads);
  const auto& m = *impl_;
  auto s = m.input(states, n, m.state_dim, "act: states");
  torch::NoGradGuard no_grad;
  Impl::output(m.policy(m.actor, s), out, "act");
}

void AgentNetworks::qValues(const float* states, const float* actions, int n, float* out) const {
  ThreadScope scope(impl_->threads);
  const auto& m = *impl_;
  m.requireCritic("qValues");
  auto s = m.input(states, n, m.state_dim, "qValues: states");
  auto a = m.input(actions, n, m.actions, "qValues: actions");
  torch::NoGradGuard no_grad;
  Impl::output(m.q(m.critic, s, a), out, "qValues");
}

void AgentNetworks::criticHeads(const float* states, int n, float* out) const {
  ThreadScope scope(impl_->threads);
  const auto& m = *impl_;
  m.requireCritic("criticHeads");
  require(m.shaped(), "criticHeads: only the shaped critic has heads V(s), q(s); this one is the concat form");
  auto s = m.input(states, n, m.state_dim, "criticHeads: states");
  torch::NoGradGuard no_grad;
  Impl::output(m.critic.forward(s), out, "criticHeads");
}

void AgentNetworks::update(const float* states, const float* actions, const float* rewards, const float* next_states,
                           int n, double gamma, UpdateLosses* losses) {
  ThreadScope scope(impl_->threads);
  auto& m = *impl_;
  m.requireCritic("update");
  require(losses != nullptr, "update: losses buffer is null");
  require(gamma >= 0 && gamma <= 1, "update: gamma must be in [0, 1], got " + std::to_string(gamma));
  auto s = m.input(states, n, m.state_dim, "update: states");
  auto a = m.input(actions, n, m.actions, "update: actions");
  auto r = m.input(rewards, n, m.critic_outputs, "update: rewards");
  auto s2 = m.input(next_states, n, m.state_dim, "update: next states");
  const OptimizerSettings& opt = m.settings();

  torch::Tensor next;  // gamma Q'(s', mu'(s')); not evaluated when gamma is 0 (the myopic default)
  {
    torch::NoGradGuard no_grad;
    next = gamma > 0 ? gamma * m.q(m.critic_target, s2, m.policy(m.actor_target, s2)) : torch::zeros({n, 1}, s.options());
  }
  clearGrads(m.critic.params);
  torch::Tensor critic_loss;
  if (m.shaped()) {
    // Q = V + a . q with E[R + gamma Q'] = a . r + gamma Q': q learns r (K targets), V the discounted next value.
    auto heads = m.critic.forward(s);
    critic_loss = torch::mse_loss(heads.narrow(1, 1, m.actions), r) + torch::mse_loss(heads.narrow(1, 0, 1), next);
  } else {
    critic_loss = torch::mse_loss(m.q(m.critic, s, a), r + next);
  }
  critic_loss.backward();
  m.critic_opt.step(m.critic.params, opt);

  // The actor's gradient flows through the critic; the critic's own gradients from this pass are dropped.
  clearGrads(m.actor.params);
  auto logits = m.actor.forward(s);
  auto mu = torch::softmax(logits, -1);
  auto log_mu = torch::log_softmax(logits, -1);
  auto kl = (mu * (log_mu - m.log_prior)).sum(-1).mean();
  auto entropy = -(mu * log_mu).sum(-1).mean();
  auto actor_loss = -m.q(m.critic, s, mu).mean();
  if (m.tau > 0) actor_loss = actor_loss + m.tau * kl;
  actor_loss.backward();
  m.actor_opt.step(m.actor.params, opt);
  clearGrads(m.critic.params);
  losses->critic = critic_loss.item<double>();
  losses->actor = actor_loss.item<double>();
  losses->kl = kl.item<double>();
  losses->entropy = entropy.item<double>();
  if (m.target_entropy > 0) {
    const double log_tau = std::log(m.tau) + m.tau_lr * (m.target_entropy - losses->entropy);
    m.tau = std::exp(std::clamp(log_tau, std::log(kMinTemperature), std::log(kMaxTemperature)));
  }
}

double AgentNetworks::imitate(const float* states, const float* targets, int n) {
  ThreadScope scope(impl_->threads);
  auto& m = *impl_;
  auto s = m.input(states, n, m.state_dim, "imitate: states");
  auto t = m.input(targets, n, m.actions, "imitate: targets");
  const OptimizerSettings& opt = m.settings();
  clearGrads(m.actor.params);
  auto loss = torch::mse_loss(m.policy(m.actor, s), t);
  loss.backward();
  m.actor_opt.step(m.actor.params, opt);
  return loss.item<double>();
}

double AgentNetworks::regressCritic(const float* states, const float* actions, const float* targets, int n) {
  ThreadScope scope(impl_->threads);
  auto& m = *impl_;
  m.requireCritic("regressCritic");
  auto s = m.input(states, n, m.state_dim, "regressCritic: states");
  auto a = m.input(actions, n, m.actions, "regressCritic: actions");
  auto t = m.input(targets, n, m.shaped() ? 1 + m.actions : m.critic_outputs, "regressCritic: targets");
  const OptimizerSettings& opt = m.settings();
  clearGrads(m.critic.params);
  auto loss = torch::mse_loss(m.shaped() ? m.critic.forward(s) : m.q(m.critic, s, a), t);
  loss.backward();
  m.critic_opt.step(m.critic.params, opt);
  return loss.item<double>();
}

double AgentNetworks::actorError(const float* states, const float* targets, int n) const {
  ThreadScope scope(impl_->threads);
  const auto& m = *impl_;
  auto s = m.input(states, n, m.state_dim, "actorError: states");
  auto t = m.input(targets, n, m.actions, "actorError: targets");
  torch::NoGradGuard no_grad;
  return torch::mse_loss(m.policy(m.actor, s), t).item<double>();
}

void AgentNetworks::softUpdate(double rate) {
  ThreadScope scope(impl_->threads);
  auto& m = *impl_;
  require(rate >= 0 && rate <= 1, "softUpdate: the rate must be in [0, 1], got " + std::to_string(rate));
  torch::NoGradGuard no_grad;
  auto blend = [rate](Mlp& target, const Mlp& online) {
    for (size_t i = 0; i < target.params.size(); ++i) target.params[i].lerp_(online.params[i], rate);
  };
  blend(m.actor_target, m.actor);
  if (m.hasCritic()) blend(m.critic_target, m.critic);
}

void AgentNetworks::save(const std::string& path) const {
  const auto& m = *impl_;
  torch::serialize::OutputArchive archive;
  writeHeader(archive, kAgentMagic, kAgentVersion);
  archive.write("config", c10::IValue(m.config()));
  if (m.opt) archive.write("schedule", settingsTensor(*m.opt));
  archive.write("actor_step", c10::IValue(m.actor_opt.steps()));
  archive.write("critic_step", c10::IValue(m.critic_opt.steps()));
  archive.write("prior", torch::tensor(m.prior, torch::kFloat64));
  archive.write("regulariser", torch::tensor({m.tau, m.target_entropy, m.tau_lr}, torch::kFloat64));
  std::vector<double> norm(m.action_center);
  norm.push_back(m.action_scale);
  archive.write("action_normalisation", torch::tensor(norm, torch::kFloat64));
  auto put = [&](const std::string& prefix, const Mlp& net) {
    for (size_t i = 0; i < net.params.size(); ++i)
      archive.write(net.name(prefix, i), net.params[i].detach().to(torch::kCPU), /*is_buffer=*/true);
  };
  put("actor", m.actor);
  put("actor_target", m.actor_target);
  m.actor_opt.write(archive, adamKeys("actor", m.actor));
  if (m.hasCritic()) {
    put("critic", m.critic);
    put("critic_target", m.critic_target);
    m.critic_opt.write(archive, adamKeys("critic", m.critic));
  }
  writeArchive(archive, path, "agent checkpoint");
}

void AgentNetworks::load(const std::string& path) {
  auto& m = *impl_;
  torch::serialize::InputArchive archive;
  openArchive(archive, path, kAgentMagic, kAgentVersion, "agent checkpoint", kAgentOlder);
  c10::IValue config, actor_step, critic_step;
  archive.read("config", config);
  if (config.toStringRef() != m.config())
    throw std::invalid_argument("agent checkpoint " + path + " was written by different networks: " +
                                describeDifference(m.config(), config.toStringRef()));
  torch::Tensor schedule;
  std::optional<OptimizerSettings> settings;
  if (archive.try_read("schedule", schedule))
    settings = settingsFromTensor(schedule, OlderLastField::kDecoupled, "agent checkpoint " + path);
  archive.read("actor_step", actor_step);
  archive.read("critic_step", critic_step);
  torch::Tensor prior, regulariser, norm;
  archive.read("prior", prior);
  archive.read("regulariser", regulariser);
  archive.read("action_normalisation", norm);
  if (prior.scalar_type() != torch::kFloat64 || prior.dim() != 1 || prior.numel() != m.actions ||
      regulariser.scalar_type() != torch::kFloat64 || regulariser.numel() != 3)
    throw std::runtime_error("agent checkpoint " + path + ": the regulariser is not " + std::to_string(m.actions) +
                             " prior weights and 3 settings in float64");
  if (norm.scalar_type() != torch::kFloat64 || norm.dim() != 1 || norm.numel() != m.actions + 1)
    throw std::runtime_error("agent checkpoint " + path + ": the action normalisation is not " + std::to_string(m.actions) +
                             " centers and a scale in float64");
  torch::NoGradGuard no_grad;
  auto get = [&](const std::string& prefix, Mlp& net) {
    for (size_t i = 0; i < net.params.size(); ++i) {
      torch::Tensor t;
      archive.read(net.name(prefix, i), t, true);
      net.params[i].copy_(t);
    }
  };
  get("actor", m.actor);
  get("actor_target", m.actor_target);
  m.actor_opt.read(archive, adamKeys("actor", m.actor));
  if (m.hasCritic()) {
    get("critic", m.critic);
    get("critic_target", m.critic_target);
    m.critic_opt.read(archive, adamKeys("critic", m.critic));
  }
  if (settings) m.opt = settings;
  auto pr = prior.contiguous();
  m.setPrior(std::vector<double>(pr.data_ptr<double>(), pr.data_ptr<double>() + m.actions));
  auto rg = regulariser.accessor<double, 1>();
  m.tau = rg[0], m.target_entropy = rg[1], m.tau_lr = rg[2];
  auto nm = norm.contiguous();
  m.setActionNorm(std::vector<double>(nm.data_ptr<double>(), nm.data_ptr<double>() + m.actions), nm.data_ptr<double>()[m.actions]);
  m.actor_opt.setSteps(actor_step.toInt());
  m.critic_opt.setSteps(critic_step.toInt());
  clearGrads(m.actor.params);
  if (m.hasCritic()) clearGrads(m.critic.params);
}

void AgentNetworks::exportActor(const std::string& path, const std::string& metadata) const {
  const auto& m = *impl_;
  torch::serialize::OutputArchive archive;
  writeHeader(archive, kActorMagic, kActorVersion);
  archive.write("config", c10::IValue(shapeString(m.state_dim, m.actions, m.hidden, m.layers)));
  archive.write("metadata", c10::IValue(metadata));
  for (size_t i = 0; i < m.actor.params.size(); ++i)
    archive.write(m.actor.name("actor", i), m.actor.params[i].detach().to(torch::kCPU), true);
  writeArchive(archive, path, "exported actor");
}

void AgentNetworks::importActor(const std::string& path) {
  auto& m = *impl_;
  torch::serialize::InputArchive archive;
  openArchive(archive, path, kActorMagic, kActorVersion, "exported actor");
  c10::IValue config;
  archive.read("config", config);
  const std::string mine = shapeString(m.state_dim, m.actions, m.hidden, m.layers);
  if (config.toStringRef() != mine)
    throw std::invalid_argument("exported actor " + path + " does not fit these networks: " +
                                describeDifference(mine, config.toStringRef()));
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < m.actor.params.size(); ++i) {
    torch::Tensor t;
    archive.read(m.actor.name("actor", i), t, true);
    m.actor.params[i].copy_(t);
  }
  copyInto(m.actor_target, m.actor);
}

std::string exportedActorMetadata(const std::string& path) {
  torch::serialize::InputArchive archive;
  openArchive(archive, path, kActorMagic, kActorVersion, "exported actor");
  c10::IValue metadata;
  archive.read("metadata", metadata);
  return metadata.toStringRef();
}

std::string exportedActorConfig(const std::string& path) {
  torch::serialize::InputArchive archive;
  openArchive(archive, path, kActorMagic, kActorVersion, "exported actor");
  c10::IValue config;
  archive.read("config", config);
  return config.toStringRef();
}

}  // namespace acodm
