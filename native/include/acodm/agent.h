// The AC-ODM agent's networks: a DDPG actor and critic (LayerNorm MLPs), their target copies and their Adam
// optimizers with a warmup + cosine learning rate, living in native memory like the model. Java keeps the
// replay buffer and the policy logic and hands minibatches over as flat row-major float arrays.
// Every method reports bad input by throwing std::invalid_argument / std::runtime_error with a message.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace acodm {

class AgentNetworks {
 public:
  // actor:  state[state_dim] -> [Linear -> LayerNorm -> ReLU] x layers (width hidden) -> Linear -> softmax[K]
  // critic: [state, action] -> the same hidden stack -> Linear -> critic_outputs Q values (1, or K for the
  //         released code's vector reward). critic_outputs = 0 builds the actor alone (a frozen, transferred
  //         actor): update() and regressCritic() then throw.
  // Parameters are drawn from `seed` only (PyTorch's default Linear init, the last layers U(-3e-3, 3e-3) so the
  // actor starts near uniform weights and Q near 0). `device`: "cpu", "cuda", "cuda:N" or "auto".
  AgentNetworks(int state_dim, int num_actions, int hidden, int layers, int critic_outputs, int64_t seed,
                const std::string& device);
  ~AgentNetworks();
  AgentNetworks(const AgentNetworks&) = delete;
  AgentNetworks& operator=(const AgentNetworks&) = delete;

  int stateDim() const;
  int numActions() const;
  int hidden() const;
  int layers() const;
  int criticOutputs() const;
  std::string deviceName() const;
  // "state=...,actions=...,hidden=...,layers=...,critic_outputs=..." (what save() records and load() checks).
  std::string configString() const;
  int64_t numParameters() const;  // actor + critic, online copies only

  // Intra-op CPU threads used inside this object's calls (restored afterwards); 0 keeps the process setting.
  // Small networks run fastest on one thread: on a busy machine OpenMP workers spin longer than the work takes.
  void setThreads(int threads);
  int threads() const;

  // Adam for both networks: lr warms up linearly to max_lr over warmup_steps optimizer steps, then follows a
  // cosine to min_lr at total_steps. decoupled != 0: AdamW (decay p *= 1 - lr*wd); 0: Adam with L2 (wd*p added
  // to the gradient, torch.optim.Adam's weight_decay). Decay applies to Linear weight matrices only.
  void setOptimizer(double max_lr, double min_lr, int64_t warmup_steps, int64_t total_steps, double weight_decay,
                    double beta1, double beta2, double eps, int decoupled);
  double learningRate(int64_t step) const;  // schedule value for 0-based optimizer step `step`
  int64_t actorSteps() const;               // optimizer steps taken by the actor
  int64_t criticSteps() const;

  // Online actor on n states [n, state_dim] -> out[n, K] (rows sum to 1).
  void act(const float* states, int n, float* out) const;
  // Online critic Q(s, a) for n pairs -> out[n, critic_outputs].
  void qValues(const float* states, const float* actions, int n, float* out) const;

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
  // Critic: MSE of Q(s, a) to r + gamma * Q'(s', mu'(s')), one Adam step. Actor: -mean Q(s, mu(s)) through the
  // just-updated critic plus the regulariser, one Adam step; then tau adapts when so configured.
  // losses[4] = {critic loss, actor loss (regulariser included), mean KL(mu(s) || prior), mean entropy H(mu(s))},
  // all measured before the steps.
  void update(const float* states, const float* actions, const float* rewards, const float* next_states, int n,
              double gamma, double* losses);
  // Behaviour cloning: MSE of mu(s) to targets[n, K], one actor Adam step; returns the loss before the step.
  double imitate(const float* states, const float* targets, int n);
  // Critic regression: MSE of Q(s, a) to targets[n, critic_outputs], one critic Adam step; loss before it.
  double regressCritic(const float* states, const float* actions, const float* targets, int n);
  // Mean squared error of mu(s) to targets, no update (for checks).
  double actorError(const float* states, const float* targets, int n) const;
  // target <- rate * online + (1 - rate) * target, for the actor and the critic (rate 1: a hard copy).
  void softUpdate(double rate);

  // Everything needed to continue bit for bit: four networks, Adam moments, step counts, schedule, regulariser.
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
