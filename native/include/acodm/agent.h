// The AC-ODM agent's networks: a DDPG actor and critic (LayerNorm MLPs), their target copies and their Adam
// optimizers with a warmup + cosine learning rate, living in native memory like the model. Java keeps the
// replay buffer and the policy logic and hands minibatches over as flat row-major float arrays.
// Every method reports bad input by throwing std::invalid_argument / std::runtime_error with a message.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "acodm/optimizer_settings.h"

namespace acodm {

// How the critic sees the action (DESIGN.md section 5; docs/mixing.md "The critic").
enum CriticForm : int {
  // Q(s, a) = MLP([s, (a - center) / scale]) with critic_outputs Q values (1, or K for the released code's vector
  // reward); center 0 and scale 1 (the raw action) until setActionNormalisation() says otherwise.
  kCriticConcat = 0,
  // Shaped like the reward R = a . r: Q(s, a) = V(s) + a . q(s), one MLP of the state with 1 + K outputs (V, q).
  // Its rewards are the per-domain score vectors r (critic_outputs must be K): q regresses on r, V on the
  // discounted value of the next state, so every transition gives K targets instead of one scalar.
  kCriticShaped = 1,
};

// One DDPG update's numbers, each measured before its optimizer step.
struct UpdateLosses {
  double critic = 0;   // the critic's loss
  double actor = 0;    // the actor's loss, the regulariser included
  double kl = 0;       // mean KL(mu(s) || prior) over the minibatch
  double entropy = 0;  // mean entropy H(mu(s)) over the minibatch
};

class AgentNetworks {
 public:
  // actor:  state[state_dim] -> [Linear -> LayerNorm -> ReLU] x layers (width hidden) -> Linear -> softmax[K]
  // critic: see CriticForm, the same hidden stack. critic_outputs is the width of a reward: 1 or K for the concat
  //         form, K for the shaped one; 0 builds the actor alone (a frozen, transferred actor): update() and
  //         regressCritic() then throw.
  // Parameters are drawn from `seed` only (PyTorch's default Linear init, the last layers U(-3e-3, 3e-3) so the
  // actor starts near uniform weights and Q near 0). `device`: "cpu", "cuda", "cuda:N" or "auto".
  AgentNetworks(int state_dim, int num_actions, int hidden, int layers, int critic_outputs, int64_t seed,
                const std::string& device, int critic_form = kCriticConcat);
  ~AgentNetworks();
  AgentNetworks(const AgentNetworks&) = delete;
  AgentNetworks& operator=(const AgentNetworks&) = delete;

  int stateDim() const;
  int numActions() const;
  int hidden() const;
  int layers() const;
  int criticOutputs() const;
  int criticForm() const;
  std::string deviceName() const;
  // "state=...,actions=...,hidden=...,layers=...,critic_outputs=...,critic=concat|shaped" (what save() records and
  // load() checks).
  std::string configString() const;
  int64_t numParameters() const;  // actor + critic, online copies only

  // Intra-op CPU threads used inside this object's calls (restored afterwards); 0 keeps the process setting.
  // Small networks run fastest on one thread: on a busy machine OpenMP workers spin longer than the work takes.
  void setThreads(int threads);
  int threads() const;

  // Adam for both networks: lr warms up linearly to max_lr over `warmup` optimizer steps, then follows a cosine to
  // min_lr at `total`. decoupled: AdamW (decay p *= 1 - lr*wd); else Adam with L2 (wd*p added to the gradient,
  // torch.optim.Adam's weight_decay). Decay applies to Linear weight matrices only. The networks do not clip their
  // gradients: grad_clip must be 0. Validated like the model's; the library has no settings of its own, so an update
  // before this call (or a load()) throws.
  void setOptimizer(const OptimizerSettings& settings);
  double learningRate(int64_t step) const;  // schedule value for 0-based optimizer step `step`
  int64_t actorSteps() const;               // optimizer steps taken by the actor
  int64_t criticSteps() const;

  // Online actor on n states [n, state_dim] -> out[n, K] (rows sum to 1).
  void act(const float* states, int n, float* out) const;
  // Online critic Q(s, a) for n pairs -> out[n, critic_outputs] (the shaped form: out[n, 1]).
  void qValues(const float* states, const float* actions, int n, float* out) const;
  // The shaped critic's heads on n states -> out[n, 1 + K]: V(s), then q(s) (throws for the concat form).
  void criticHeads(const float* states, int n, float* out) const;

  // The concat critic sees (a - center) / scale instead of the raw action: Dirichlet exploration moves each a_i by
  // ~0.03 around its mean, next to state entries of size ~1, so the raw action is a tiny share of the critic's
  // input and its slope is learnt slowly. center[K], scale > 0; saved with the networks. Throws for the shaped form
  // (which multiplies the action instead of feeding it through the network).
  void setActionNormalisation(const float* center, double scale);

  // The soft actor's regulariser (DESIGN.md section 5): update()'s actor loss becomes
  //   -mean Q(s, mu(s)) + tau * mean KL(mu(s) || prior),
  // whose optimum for a Q linear in the action, Q = <a, r>, is mu = prior * exp(r / tau) / Z. prior: K positive
  // weights (normalised here). tau = 0 removes the term (the linear objective). target_entropy > 0 adapts tau
  // after every update, a dual step on the constraint H(mu) >= target_entropy (nats):
  //   log tau <- log tau + tau_lr * (target_entropy - mean H(mu(s))),
  // so tau rises while the actor is more concentrated than the target and falls while it is more spread out;
  // target_entropy = 0 keeps tau fixed. The prior, tau and these settings are saved and loaded with the rest.
  // Until this is called the prior is uniform and tau is 0.
  void setRegulariser(const float* prior, double tau, double target_entropy, double tau_lr);
  double temperature() const;  // the current tau

  // One DDPG step on a minibatch of n transitions: rewards[n, critic_outputs].
  // Critic, concat form: MSE of Q(s, a) to r + gamma * Q'(s', mu'(s')). Shaped form: MSE of q(s) to the score
  // vector r plus MSE of V(s) to gamma * Q'(s', mu'(s')) (E[R + gamma Q'] = a . r + gamma Q' with R = a . r).
  // One Adam step. Actor: -mean Q(s, mu(s)) through the just-updated critic plus the regulariser (shaped form:
  // -mean mu . q(s) + const), one Adam step; then tau adapts when so configured.
  // *losses: what UpdateLosses names, all measured before the steps.
  void update(const float* states, const float* actions, const float* rewards, const float* next_states, int n,
              double gamma, UpdateLosses* losses);
  // Behaviour cloning: MSE of mu(s) to targets[n, K], one actor Adam step; returns the loss before the step.
  double imitate(const float* states, const float* targets, int n);
  // Critic regression: MSE of Q(s, a) to targets[n, critic_outputs] (concat form) or of the heads (V, q) to
  // targets[n, 1 + K] (shaped form), one critic Adam step; loss before it.
  double regressCritic(const float* states, const float* actions, const float* targets, int n);
  // Mean squared error of mu(s) to targets, no update (for checks).
  double actorError(const float* states, const float* targets, int n) const;
  // target <- rate * online + (1 - rate) * target, for the actor and the critic (rate 1: a hard copy).
  void softUpdate(double rate);

  // Everything needed to continue bit for bit: four networks, Adam moments, step counts, schedule, regulariser,
  // action normalisation. Format version 3 (version 2, before the critic forms, is refused with a message).
  // Atomic and failure-safe like Model::save(). load() refuses a file of a different configuration, naming it.
  void save(const std::string& path) const;
  void load(const std::string& path);

  // The online actor alone with the caller's metadata (a JSON document: domains, state layout, settings),
  // for use by another run. Atomic like save().
  void exportActor(const std::string& path, const std::string& metadata) const;
  // Loads an exported actor into this object's actor and target actor; the shapes must match.
  void importActor(const std::string& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The metadata string stored by exportActor() (throws when `path` is not an exported actor).
std::string exportedActorMetadata(const std::string& path);
// "state=...,actions=...,hidden=...,layers=..." of an exported actor.
std::string exportedActorConfig(const std::string& path);

}  // namespace acodm
