// gen_corpus: a deterministic generator of synthetic study records for the scale benchmarks
// (issue 8: 10k / 100k / 1M records, baselines, re-index of 1% changed records).
//
//   gen_corpus --records 10000 --seed 1 --out /tmp/gen10k
//   gen_corpus --records 10000 --seed 1 --out /tmp/gen10k-upd --update-fraction 0.01
//
// Writes PubMed XML files (pubmed-NNNNNN.xml, a PubmedArticleSet of --per-file records, each with
// a structured abstract of about 2 KB) and, for --curated-share of the records, curated JSON Lines
// files (curated-NNNNNN.jsonl) that validate against schema/study.schema.json, with effects,
// risk of bias and GRADE ratings. Concepts come from schema/vocabulary.json; the words around
// them follow a Zipf distribution over a clinical word list and a long tail of made-up words.
// Filler words never form a vocabulary term, a negation or a design/direction phrase, so what
// the annotator finds is what the record was generated with.
//
// --update-fraction F writes instead only round(F*N) records of the same corpus (chosen from the
// seed), with the same ids and titles but new results and conclusions: input for the
// "re-index 1% changed" benchmark (evidence-index reports them as updated).
//
// Everything is synthetic and marked so: PMIDs from 990000001, DOIs 10.99999/synthetic.N,
// curated ids SYN0000001, journal "Synthetic Journal of Benchmark Records", titles ending in
// " [synthetic]". Output is byte-identical for the same options and vocabulary: each record
// draws from its own std::mt19937_64 streams through integer-only distributions written here
// (std:: distributions differ between standard libraries). Records are streamed to files.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

constexpr std::uint64_t first_pmid = 990000001;
constexpr std::uint64_t max_records = 9999999;  // PMIDs stay 9 digits, SYN ids 7 digits
constexpr const char* journal_title = "Synthetic Journal of Benchmark Records";
constexpr const char* journal_abbrev = "Synth J Bench Rec";
constexpr const char* doi_prefix = "10.99999/synthetic.";

// ---------------------------------------------------------------------------------------------
// Random numbers

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// std::mt19937_64's output sequence is fixed by the standard; the distributions below use
// integers only, so the same seed gives the same records with any compiler and library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : g_(seed) {}
  std::uint64_t next() { return g_(); }
  // Uniform in [0, n), unbiased (rejection of the incomplete last block).
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t rest = (std::numeric_limits<std::uint64_t>::max() % n + 1) % n;
    for (;;) {
      const std::uint64_t x = g_();
      if (rest == 0 || x < 0 - rest) return x % n;
    }
  }
  int range(int lo, int hi) { return lo + static_cast<int>(below(static_cast<std::uint64_t>(hi - lo) + 1)); }
  bool percent(unsigned p) { return below(100) < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }
  const char* pick(std::initializer_list<const char*> v) { return v.begin()[below(v.size())]; }
  std::size_t weighted(std::initializer_list<unsigned> w) {
    std::uint64_t total = 0;
    for (unsigned x : w) total += x;
    std::uint64_t r = below(total);
    std::size_t i = 0;
    for (unsigned x : w) {
      if (r < x) return i;
      r -= x;
      ++i;
    }
    return w.size() - 1;
  }

 private:
  std::mt19937_64 g_;
};

// Independent streams of one record: the same (seed, record, stream) always gives the same
// numbers, whatever else is generated, so an updated record keeps its unchanged parts.
enum Stream : std::uint64_t { structure = 1, filler = 2, results = 3 };
Rng stream(std::uint64_t seed, std::uint64_t record, std::uint64_t s, int revision = 0) {
  return Rng(splitmix64(seed ^ splitmix64(record * 16 + s + static_cast<std::uint64_t>(revision) * 4)));
}

// Walker/Vose alias table: O(1) sampling from a fixed discrete distribution (the Zipf tables).
class Alias {
 public:
  explicit Alias(const std::vector<double>& weights) : prob_(weights.size()), alias_(weights.size()) {
    const std::size_t n = weights.size();
    double sum = 0;
    for (double w : weights) sum += w;
    std::vector<double> p(n);
    std::vector<std::size_t> small, large;
    for (std::size_t i = 0; i < n; ++i) {
      p[i] = weights[i] * static_cast<double>(n) / sum;
      (p[i] < 1.0 ? small : large).push_back(i);
    }
    while (!small.empty() && !large.empty()) {
      const std::size_t s = small.back(), l = large.back();
      small.pop_back();
      large.pop_back();
      prob_[s] = threshold(p[s]);
      alias_[s] = static_cast<std::uint32_t>(l);
      p[l] = (p[l] + p[s]) - 1.0;
      (p[l] < 1.0 ? small : large).push_back(l);
    }
    for (auto* rest : {&small, &large})
      for (std::size_t i : *rest) {
        prob_[i] = std::numeric_limits<std::uint32_t>::max();
        alias_[i] = static_cast<std::uint32_t>(i);
      }
  }
  std::size_t sample(Rng& r) const {
    const std::uint64_t x = r.next();
    const auto col = static_cast<std::size_t>(((x >> 32) * prob_.size()) >> 32);
    return static_cast<std::uint32_t>(x) < prob_[col] ? col : alias_[col];
  }

 private:
  static std::uint32_t threshold(double p) {
    return p >= 1.0 ? std::numeric_limits<std::uint32_t>::max() : static_cast<std::uint32_t>(p * 4294967296.0);
  }
  std::vector<std::uint32_t> prob_, alias_;
};

std::vector<double> zipf_weights(std::size_t n, double q) {
  std::vector<double> w(n);
  for (std::size_t r = 0; r < n; ++r) w[r] = 1.0 / (static_cast<double>(r) + 1.0 + q);
  return w;
}

// ---------------------------------------------------------------------------------------------
// Text helpers

// The annotator's word folding (core/src/text.cpp fold_word and normalise), copied so the
// generator can keep filler words from forming vocabulary terms without linking the library.
std::string fold_word(std::string w) {
  auto ends = [&](std::string_view s) {
    return w.size() >= s.size() && w.compare(w.size() - s.size(), s.size(), s) == 0;
  };
  if (w.size() <= 3) return w;
  static const std::pair<std::string_view, std::string_view> spell[] = {
      {"isation", "ization"}, {"isations", "izations"}, {"ised", "ized"},  {"ising", "izing"},
      {"ise", "ize"},         {"ises", "izes"},         {"aemia", "emia"}, {"oedema", "edema"}};
  for (const auto& [from, to] : spell) {
    if (ends(from) && w.size() > from.size() + 2) {
      if (from == "ise" || from == "ises" || from == "ised" || from == "ising") {
        const std::string stem = w.substr(0, w.size() - from.size() + 2);
        bool skip = false;
        for (std::string_view k :
             {"exercis", "advis", "supervis", "revis", "devis", "wis", "nois", "ris", "promis", "compris"})
          skip = skip || (stem.size() >= k.size() && stem.compare(stem.size() - k.size(), k.size(), k) == 0);
        if (skip) break;
      }
      w = w.substr(0, w.size() - from.size()) + std::string(to);
      break;
    }
  }
  if (ends("behaviour"))
    w = w.substr(0, w.size() - 9) + "behavior";
  else if (ends("behavioural"))
    w = w.substr(0, w.size() - 11) + "behavioral";
  if (ends("ies") && w.size() > 4) return w.substr(0, w.size() - 3) + "y";
  if (ends("sses")) return w.substr(0, w.size() - 2);
  if (ends("ss") || ends("us") || ends("is") || ends("ous")) return w;
  if (ends("s")) return w.substr(0, w.size() - 1);
  return w;
}

std::vector<std::string> folded_words(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(fold_word(cur));
    cur.clear();
  };
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z')
      cur.push_back(static_cast<char>(c - 'A' + 'a'));
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)
      cur.push_back(ch);
    else if (c != '\'')
      flush();
  }
  flush();
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string cap(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

// Tenths and hundredths as decimal text, without floating point: -123 -> "-12.3".
std::string tenths(int v) {
  const int a = v < 0 ? -v : v;
  return std::string(v < 0 ? "-" : "") + std::to_string(a / 10) + "." + std::to_string(a % 10);
}
std::string hundredths(int v) {
  const int a = v < 0 ? -v : v;
  const int f = a % 100;
  return std::string(v < 0 ? "-" : "") + std::to_string(a / 100) + "." + (f < 10 ? "0" : "") + std::to_string(f);
}

void xml_text(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The vocabulary

struct Concept {
  std::string id, kind, preferred, name, abbrev, mesh;
  std::vector<std::string> synonyms, parents;
};

class Vocab {
 public:
  explicit Vocab(const fs::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read the vocabulary " + file.string());
    const auto j = nlohmann::json::parse(in);
    version = j.value("version", "");
    for (const auto& c : j.at("concepts")) {
      Concept k;
      k.id = c.at("id").get<std::string>();
      k.kind = c.at("kind").get<std::string>();
      k.preferred = c.at("preferred").get<std::string>();
      for (const auto& s : c.value("synonyms", nlohmann::json::array())) k.synonyms.push_back(s.get<std::string>());
      for (const auto& s : c.value("parents", nlohmann::json::array())) k.parents.push_back(s.get<std::string>());
      for (const auto& m : c.value("mesh", nlohmann::json::array()))
        if (k.mesh.empty() && m.contains("heading")) k.mesh = m["heading"].get<std::string>();
      for (const auto& a : c.value("abbreviations", nlohmann::json::array())) {
        const std::string s = a.get<std::string>();
        if (k.abbrev.empty() && s != lower(s) && s.find('-') == std::string::npos) k.abbrev = s;
      }
      // The running-text name: the first synonym (the canonical phrase), with the preferred
      // term's capitals kept where it has inner ones ("McKenzie method", "Roland-Morris ...").
      std::string name = k.synonyms.empty() ? lower(k.preferred) : k.synonyms.front();
      const std::string lp = lower(k.preferred);
      const bool inner_caps =
          std::any_of(k.preferred.begin() + 1, k.preferred.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
      if (inner_caps && lp.rfind(name, 0) == 0) name = k.preferred.substr(0, name.size());
      k.name = name;
      // Every term, folded as the annotator folds it: one-word terms, and the first two words
      // of longer ones (any vocabulary phrase starts with such a pair).
      std::vector<std::string> forms = {k.preferred};
      forms.insert(forms.end(), k.synonyms.begin(), k.synonyms.end());
      for (const auto& v : c.value("variants", nlohmann::json::array())) forms.push_back(v.get<std::string>());
      for (const auto& a : c.value("abbreviations", nlohmann::json::array()))
        forms.push_back(lower(a.get<std::string>()));
      for (const auto& f : forms) {
        const auto w = folded_words(f);
        if (w.size() == 1)
          one_word.insert(w[0]);
        else if (w.size() > 1)
          two_word.insert(w[0] + " " + w[1]);
      }
      by_id_.emplace(k.id, concepts.size());
      concepts.push_back(std::move(k));
    }
  }
  const Concept* find(const std::string& id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &concepts[it->second];
  }
  const Concept& get(const std::string& id) const {
    if (const Concept* c = find(id)) return *c;
    throw std::runtime_error("the vocabulary has no concept '" + id + "' (the generator needs it)");
  }
  // A MeSH heading for the concept: its own, else its nearest ancestor's.
  std::string mesh_heading(const Concept& c) const {
    const Concept* cur = &c;
    for (int depth = 0; cur && depth < 8; ++depth) {
      if (!cur->mesh.empty()) return cur->mesh;
      cur = cur->parents.empty() ? nullptr : find(cur->parents.front());
    }
    return "";
  }

  std::string version;
  std::vector<Concept> concepts;
  std::unordered_set<std::string> one_word, two_word;

 private:
  std::unordered_map<std::string, std::size_t> by_id_;
};

// ---------------------------------------------------------------------------------------------
// Filler words: a clinical/academic word list in rough frequency order and a long tail of
// made-up medical-looking words, both Zipf-distributed.

constexpr std::string_view clinical_words = R"(
the of and in to a with was were for by on at from as is that this be an or are than after between
which had have these their its who also all more most only other such each one two three may can been
during into over under within while however among per whereas whether there it they we our those when
where how then thus because before since until about across through both either same any some many
few several less least further patients participants study group groups data analysis analyses
results baseline follow up weeks months years year age mean median score scores measures measured
measurement assessment assessed assessments primary secondary health clinicians physicians practice
evidence risk factors associated association level levels change changes difference differences
severity symptoms symptom management programme sessions session therapist therapists muscle spine
trunk pelvic hip leg nerve movement strength flexibility range motion activity visits hospital clinic
clinics centre centres community population sample samples total number proportion rate rates ratio
odds confidence interval intervals model models regression adjusted multivariable predictors predictor
prognosis prognostic subgroup subgroups sensitivity specificity reliability validity reported reporting
report reports included inclusion criteria eligible eligibility recruited recruitment screened screening
characteristics demographic sex gender female male women men older younger body mass index weight height
smoking employment income frequency intensity dose doses administered delivered received receiving
provided provider providers standard individual individuals person persons people general specific
important relevant potential possible likely common frequent rare high low large small moderate mild
severe greater lower higher increased decreased increase decrease reduced reduction reductions
associated related compared comparison comparisons observed observation findings finding conclusion
aim aims objective objectives purpose design setting settings methods method approach approaches
framework process processes measure tool tools instrument questionnaire questionnaires survey surveys
interview interviews qualitative quantitative mixed cross sectional prospective retrospective
longitudinal consecutive multicentre national regional international countries country population
based register registry database databases records electronic routine routinely collected collection
analysed analysed statistical statistically variance standard deviation deviations estimate estimates
estimated estimation probability predictive value values threshold thresholds cutoff accuracy agreement
correlation correlations coefficient coefficients internal external consistency responsiveness minimal
clinically detectable meaningful magnitude size sizes power calculation calculated required sufficient
missing imputation imputed attrition dropout dropouts withdrawal withdrew lost adherence compliance
attendance completed completion satisfaction preference preferences expectation expectations belief
beliefs attitudes knowledge awareness understanding perception perceptions experience experiences
barriers facilitators implementation uptake delivery feasibility acceptability fidelity training
trained staff nurses nurse practitioners general practitioners specialists specialist surgeon surgeons
physician orthopaedic neurosurgical rheumatology medicine medical services service system systems
policy policies funding resources resource allocation time times period periods phase phases stage
stages week month day days hour hours minutes minute daily weekly twice three four five six seven
eight ten twelve twenty first second third final initial early late earlier later long short term
terms interim subsequent subsequently previous previously prior current currently recent recently
new novel existing available additional alternative combined combination single multiple various
different diverse variable varied variation heterogeneity heterogeneous homogeneous consistent
inconsistent uncertain uncertainty unclear limited limitations limitation strength strengths bias
biases quality certainty precision imprecise robust robustness validated validation developed
development tested testing test tests examined examination explored exploring investigated
investigation evaluate evaluated evaluation describe described description identify identified
identification determine determined examine assess compare explore investigate estimate predict
predicted provide support supported suggest suggests suggested indicate indicates indicated show shows
showed shown demonstrate demonstrates demonstrated found find confirm confirmed remain remained
remains reach reached achieve achieved maintain maintained sustained persisted occur occurred occurs
experienced experiencing report presented presenting present presence absence lack loss gain
improving worsening stable stability progression progressive course natural history onset episode
episodes prevalence incidence burden impact impacts consequences outcome determinants mechanism
mechanisms pathway pathways biological psychological social socioeconomic physiological anatomical
structural functional neural central peripheral sensory sensitisation nociceptive neuropathic
inflammatory inflammation degenerative degeneration tissue tissues bone bones ligament ligaments
tendon fascia cartilage vertebral vertebrae segment segments segmental level thoracic cervical
sacral abdominal gluteal paraspinal multifidus erector transversus extensor flexor extensors
flexors lower upper limb limbs extremity extremities knee shoulder neck head foot feet walking
standing sitting lifting bending twisting load loading mechanical biomechanical kinematic kinetic
control controls comparator arm arms allocation allocated assigned assignment receive usual
attention education information booklet leaflet telephone online digital web mobile application
app video remote face individualised tailored stratified matched unmatched adjusted unadjusted
crude pooled overall summary primary main key principal major minor serious mild transient
headache nausea dizziness fatigue soreness bruising discomfort tolerance tolerated dropout
economic resources productivity employer employers workplace job jobs occupation occupations
manual sedentary labour labourers office drivers nursing military athletes students children
adolescents elderly aged middle pregnant postpartum obese overweight smokers diabetes obesity
comorbidity comorbidities multimorbidity depression anxiety sleep insomnia fatigue stress coping
catastrophic beliefs avoidance fear movement confidence expectancy motivation goals goal setting
planning pacing graded reactivation exposure return staying remaining keeping ability capacity
performance tasks task participation restriction restrictions limitation impairments impairment
handicap independence dependency wellbeing satisfaction utility utilities preference weighted
incremental ratio thresholds willingness pay payer perspective societal horizon discounting
scenario scenarios sensitivity deterministic probabilistic simulation markov decision tree
)";

// Made-up words for the long tail of rare terms real abstracts have (drug names, gene names,
// anatomical and technical terms). Mixed-radix from the rank, so nothing is stored.
constexpr const char* tail_prefix[] = {
    "neuro", "myo",    "osteo", "arthro",  "chondro", "fibro",   "angio", "hemo",     "lipo",
    "glyco", "immuno", "patho", "kinesio", "electro", "thermo",  "sono",  "tomo",     "endo",
    "peri",  "intra",  "inter", "para",    "supra",   "trans",   "hyper", "hypo",     "poly",
    "micro", "macro",  "dys",   "sacro",   "thoraco", "cervico", "lumbo", "spondylo", "costo"};
constexpr const char* tail_root[] = {"plast",  "troph", "path",   "log",    "metr",    "graph",   "scop",  "tom",
                                     "gen",    "lys",   "cyt",    "kin",    "alg",     "esthes",  "scler", "stat",
                                     "tens",   "flex",  "duct",   "fus",    "sect",    "tract",   "mobil", "stabil",
                                     "morph",  "phag",  "cept",   "mot",    "vert",    "derm",    "gastr", "nephr",
                                     "hepat",  "card",  "pneum",  "vascul", "neur",    "fasc",    "tend",  "ligament",
                                     "capsul", "synov", "cortic", "medull", "radicul", "foramin", "lamin", "pedicul"};
constexpr const char* tail_suffix[] = {"y",   "ia",    "ic",  "al",   "ous", "osis", "itis",   "ism",
                                       "ive", "ation", "ity", "ine",  "ase", "ide",  "ant",    "ent",
                                       "ule", "oid",   "ary", "ular", "ema", "ogen", "opathy", "otomy"};
constexpr std::size_t n_prefix = std::size(tail_prefix), n_root = std::size(tail_root),
                      n_suffix = std::size(tail_suffix);
constexpr std::size_t tail_size = 1000000;

std::string tail_word(std::size_t r) {
  std::string w = tail_prefix[r % n_prefix];
  r /= n_prefix;
  w += tail_root[r % n_root];
  r /= n_root;
  const std::size_t suffix = r % n_suffix;
  r /= n_suffix;
  if (r > 0) w += std::string(tail_root[(r - 1) % n_root]) + "o";
  w += tail_suffix[suffix];
  return w;
}

// Words that must not occur in filler: negations (they would negate a nearby concept), and the
// words of design, duration, blinding and result-direction phrases the annotator reads.
const std::unordered_set<std::string> risky_words = {"no",
                                                     "not",
                                                     "without",
                                                     "excluding",
                                                     "excluded",
                                                     "exclude",
                                                     "non",
                                                     "nor",
                                                     "neither",
                                                     "never",
                                                     "none",
                                                     "randomised",
                                                     "randomized",
                                                     "randomly",
                                                     "random",
                                                     "randomisation",
                                                     "randomization",
                                                     "trial",
                                                     "trials",
                                                     "review",
                                                     "reviews",
                                                     "cohort",
                                                     "protocol",
                                                     "guideline",
                                                     "meta",
                                                     "case",
                                                     "pilot",
                                                     "significant",
                                                     "significantly",
                                                     "effective",
                                                     "superior",
                                                     "inferior",
                                                     "similar",
                                                     "differ",
                                                     "differed",
                                                     "better",
                                                     "worse",
                                                     "improved",
                                                     "improvement",
                                                     "chronic",
                                                     "acute",
                                                     "subacute",
                                                     "persistent",
                                                     "lasting",
                                                     "blind",
                                                     "blinded",
                                                     "double",
                                                     "masked",
                                                     "concealed",
                                                     "concealment",
                                                     "intention",
                                                     "versus",
                                                     "vs"};

class Words {
 public:
  explicit Words(const Vocab& v) : tail_zipf_(zipf_weights(tail_size, 10.0)), real_zipf_({1.0}) {
    std::unordered_set<std::string> seen;
    std::string cur;
    auto consider = [&](const std::string& w) {
      if (w.empty() || !seen.insert(w).second) return;
      const std::string f = fold_word(w);
      if (risky_words.count(w) || v.one_word.count(f)) return;
      real_.push_back(w);
      folded_.push_back(f);
    };
    for (char c : clinical_words) {
      if (c == ' ' || c == '\n') {
        consider(cur);
        cur.clear();
      } else {
        cur.push_back(c);
      }
    }
    consider(cur);
    real_zipf_ = Alias(zipf_weights(real_.size(), 2.7));
    // Adjacent pairs that start a vocabulary phrase ("usual care", "daily activities").
    std::unordered_map<std::string, std::uint32_t> id;
    for (std::size_t i = 0; i < folded_.size(); ++i) id.emplace(folded_[i], static_cast<std::uint32_t>(i));
    for (const auto& pair : v.two_word) {
      const auto sp = pair.find(' ');
      auto a = id.find(pair.substr(0, sp)), b = id.find(pair.substr(sp + 1));
      if (a != id.end() && b != id.end()) banned_pairs_.insert((std::uint64_t{a->second} << 32) | b->second);
    }
    // Made-up words that happen to be vocabulary terms are never drawn.
    tail_clash_.assign(tail_size, false);
    for (std::size_t r = 0; r < tail_size; ++r) {
      const std::string f = fold_word(tail_word(r));
      if (v.one_word.count(f) || risky_words.count(f)) tail_clash_[r] = true;
    }
  }

  std::size_t real_count() const { return real_.size(); }

  // Filler sentences until `budget` characters are written.
  void sentences(std::string& out, Rng& r, int budget) const {
    const std::size_t start = out.size();
    std::uint64_t prev = no_word;
    while (static_cast<int>(out.size() - start) < budget) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
      const int n = r.range(6, 22);
      for (int k = 0; k < n; ++k) {
        std::string w;
        if (r.percent(8)) {
          std::size_t t = tail_zipf_.sample(r);
          while (tail_clash_[t]) t = tail_zipf_.sample(r);
          w = tail_word(t);
          prev = no_word;
        } else {
          std::size_t t = real_zipf_.sample(r);
          for (int tries = 0; tries < 16 && prev != no_word && banned_pairs_.count((prev << 32) | t); ++tries)
            t = real_zipf_.sample(r);
          if (prev != no_word && banned_pairs_.count((prev << 32) | t)) t = 0;  // "the" starts no phrase
          w = real_[t];
          prev = t;
        }
        if (k == 0) w = cap(w);
        out += w;
        if (k + 1 < n) out += (k > 2 && k + 3 < n && r.percent(8)) ? ", " : " ";
      }
      out += ". ";
    }
    if (!out.empty() && out.back() == ' ') out.pop_back();
  }

 private:
  static constexpr std::uint64_t no_word = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::string> real_, folded_;
  Alias tail_zipf_, real_zipf_;
  std::unordered_set<std::uint64_t> banned_pairs_;
  std::vector<bool> tail_clash_;
};

// ---------------------------------------------------------------------------------------------
// What a record is about

enum class Design {
  rct,
  nonrandomised,
  systematic_review,
  narrative_review,
  cohort,
  case_series,
  protocol,
  guideline,
  other
};
enum class CompKind { placebo_sham, usual_care, no_treatment, active };
enum class Truth { favours_intervention, no_difference, favours_comparator };

struct Scale {
  const char* id;                      // vocabulary instrument
  const char* range;                   // as written in the methods
  int max;                             // scale maximum
  int base_lo, base_hi, md_lo, md_hi;  // baseline and effect sizes, in tenths of a point
};
const Scale scales[] = {
    {"vas", "0-100", 100, 520, 720, 40, 200},
    {"nrs", "0-10", 10, 52, 72, 4, 20},
    {"rmdq", "0-24", 24, 90, 140, 8, 40},
    {"odi", "0-100", 100, 280, 460, 20, 110},
};

struct Secondary {
  const char* domain;
  const char* phrases[2];
};
const Secondary secondary_outcomes[] = {
    {"quality_of_life", {"quality of life", "health-related quality of life"}},
    {"global_improvement", {"global improvement", "perceived recovery"}},
    {"return_to_work", {"return to work", "sick leave"}},
    {"psychological_wellbeing", {"psychological distress", "fear of movement"}},
    {"adverse_events", {"adverse events", "side effects"}},
};

struct Author {
  std::string last, fore, initials;
};

struct Spec {
  std::uint64_t index = 0;
  bool curated = false;
  int revision = 0;
  std::string pmid, doi, syn_id;
  Design design = Design::rct;
  bool meta = false;
  const Concept* intervention = nullptr;
  const Concept* comparator = nullptr;  // a comparator concept (sham, usual care ...) or an active intervention
  CompKind comp_kind = CompKind::usual_care;
  std::string comp_text;  // as written: "sham", "usual care", "a waiting list", "spinal manipulation"
  const Concept* condition = nullptr;
  std::string duration = "unspecified";
  bool chronic_phrase = false;
  std::string pop;
  bool older = false;
  bool pain_primary = true;
  const Scale* scale = nullptr;
  std::string out1, out2;  // primary and secondary outcome phrases (pain / disability)
  const Secondary* out3 = nullptr;
  std::string out3_phrase;
  int n = 0, centres = 1, sessions = 8, weeks = 6, follow = 12, n_trials = 0, n_participants = 0;
  int year = 2020, volume = 1, issue = 1, page = 1;
  bool blinded = false, concealed = false, itt = false;
  int title_variant = 0, bg_variant = 0;
  std::vector<Author> authors;
  bool keywords = false;
  bool mesh_intervention = true;
};

struct Results {
  Truth truth = Truth::favours_intervention;
  bool stated = true;  // the conclusion words the direction the way the annotator reads it
  int base_i = 0, base_c = 0, change_i = 0, change_c = 0;  // tenths, on the primary scale
  int md = 0, lo = 0, hi = 0;                              // tenths
  int smd = 0, smd_lo = 0, smd_hi = 0;                     // hundredths, secondary outcome
  int completed = 0, relief_i = 0, relief_c = 0, ae_i = 0, ae_c = 0, i2 = 0, p_code = 0;
  int conclusion_variant = 0;
  std::string certainty;  // GRADE level for reviews
  std::vector<std::string> downgrades;
  bool adverse_sentence = false, relief_sentence = false;
  int extended_months = 0;
};

// Concepts the generator draws from, in rough order of how often the literature studies them.
struct Catalogue {
  std::vector<const Concept*> interventions;
  Alias intervention_zipf{{1.0}};
  std::vector<std::pair<const Concept*, unsigned>> conditions;
  std::unordered_set<std::string> drugs;
  const Vocab* vocab = nullptr;

  explicit Catalogue(const Vocab& v) : vocab(&v) {
    const std::vector<std::string> popular = {"exercise_therapy",
                                              "spinal_manipulation",
                                              "acupuncture",
                                              "tens",
                                              "physiotherapy",
                                              "motor_control_exercise",
                                              "massage",
                                              "cognitive_behavioural_therapy",
                                              "nsaids",
                                              "yoga",
                                              "pilates",
                                              "epidural_steroid_injection",
                                              "spinal_fusion",
                                              "surgical_decompression",
                                              "electrotherapy",
                                              "multidisciplinary_rehabilitation",
                                              "patient_education",
                                              "opioids",
                                              "back_school",
                                              "dry_needling",
                                              "walking",
                                              "manual_therapy",
                                              "mckenzie_method",
                                              "paracetamol",
                                              "discectomy",
                                              "radiofrequency_denervation",
                                              "kinesio_taping",
                                              "low_level_laser_therapy",
                                              "tai_chi",
                                              "aerobic_exercise"};
    const std::set<std::string> skip = {"diagnostic_imaging", "xray", "mri", "ct_scan"};
    std::set<std::string> have;
    for (const auto& id : popular)
      if (const Concept* c = v.find(id); c && c->kind == "intervention" && have.insert(id).second)
        interventions.push_back(c);
    for (const auto& c : v.concepts)
      if (c.kind == "intervention" && !skip.count(c.id) && have.insert(c.id).second) interventions.push_back(&c);
    if (interventions.size() < 2) throw std::runtime_error("the vocabulary has fewer than two interventions");
    intervention_zipf = Alias(zipf_weights(interventions.size(), 3.0));
    const std::pair<const char*, unsigned> cond[] = {{"chronic_low_back_pain", 30},
                                                     {"low_back_pain", 15},
                                                     {"nonspecific_low_back_pain", 9},
                                                     {"acute_low_back_pain", 7},
                                                     {"subacute_low_back_pain", 3},
                                                     {"sciatica", 8},
                                                     {"lumbar_spinal_stenosis", 7},
                                                     {"disc_herniation", 6},
                                                     {"radiculopathy", 3},
                                                     {"spondylolisthesis", 2},
                                                     {"pregnancy_related_back_pain", 2},
                                                     {"failed_back_surgery_syndrome", 2},
                                                     {"sacroiliac_joint_pain", 2},
                                                     {"facet_joint_pain", 2},
                                                     {"discogenic_pain", 2}};
    for (const auto& [id, w] : cond)
      if (const Concept* c = v.find(id); c && c->kind == "condition") conditions.emplace_back(c, w);
    if (conditions.empty()) throw std::runtime_error("the vocabulary has none of the back-pain conditions");
    drugs = {"drug_therapy",    "nsaids",         "paracetamol",
             "opioids",         "tramadol",       "muscle_relaxants",
             "antidepressants", "gabapentinoids", "systemic_corticosteroids"};
    for (const char* id : {"sham", "placebo", "usual_care", "no_treatment", "waiting_list", "pain", "function"})
      v.get(id);
    for (const auto& s : scales) v.get(s.id);
    for (const auto& s : secondary_outcomes) v.get(s.domain);
  }

  const Concept* condition(Rng& r) const {
    unsigned total = 0;
    for (const auto& c : conditions) total += c.second;
    auto x = static_cast<unsigned>(r.below(total));
    for (const auto& [c, w] : conditions) {
      if (x < w) return c;
      x -= w;
    }
    return conditions.back().first;
  }
};

std::string surname(Rng& r) {
  static const std::vector<std::string> a = {"Bar", "Kel", "Mor", "Tan", "Vil", "Sor",  "Den", "Lin",
                                             "Hal", "Rid", "Fen", "Gor", "Pel", "Quin", "Sta", "Wen",
                                             "Dal", "Cor", "Ner", "Ost", "Bra", "Mai",  "Ves", "Tor"};
  static const std::vector<std::string> b = {"an",   "berg", "ton", "ley", "sen", "ari", "ov",  "ez",  "ini",
                                             "ford", "man",  "ell", "and", "ick", "ova", "aro", "ius", "ard"};
  return r.pick(a) + r.pick(b);
}

Spec make_spec(const Catalogue& cat, std::uint64_t seed, std::uint64_t i, bool curated, int revision) {
  Rng r = stream(seed, i, structure);
  Spec s;
  s.index = i;
  s.curated = curated;
  s.revision = revision;
  s.pmid = std::to_string(first_pmid + i);
  s.doi = doi_prefix + std::to_string(i + 1);
  {
    char buf[16];
    std::snprintf(buf, sizeof buf, "SYN%07llu", static_cast<unsigned long long>(i + 1));
    s.syn_id = buf;
  }
  if (curated) {
    s.design = r.percent(55) ? Design::systematic_review : Design::rct;
  } else {
    static const Design designs[] = {
        Design::rct,    Design::nonrandomised, Design::systematic_review, Design::narrative_review,
        Design::cohort, Design::case_series,   Design::protocol,          Design::guideline,
        Design::other};
    s.design = designs[r.weighted({600, 40, 130, 55, 80, 25, 40, 15, 15})];
  }
  s.meta = s.design == Design::systematic_review && r.percent(65);
  s.intervention = cat.interventions[cat.intervention_zipf.sample(r)];
  const bool drug = cat.drugs.count(s.intervention->id) > 0;
  s.comp_kind = static_cast<CompKind>(r.weighted({25, 25, 12, 38}));
  switch (s.comp_kind) {
    case CompKind::placebo_sham:
      s.comparator = &cat.vocab->get(drug ? "placebo" : "sham");
      s.comp_text = drug ? "placebo" : (r.percent(15) ? "sham " + s.intervention->name : "sham");
      break;
    case CompKind::usual_care:
      s.comparator = &cat.vocab->get("usual_care");
      s.comp_text = r.percent(70) ? "usual care" : "standard care";
      break;
    case CompKind::no_treatment:
      if (r.percent(50)) {
        s.comparator = &cat.vocab->get("waiting_list");
        s.comp_text = "a waiting list";
      } else {
        s.comparator = &cat.vocab->get("no_treatment");
        s.comp_text = "no treatment";
      }
      break;
    case CompKind::active: {
      const Concept* other = s.intervention;
      while (other == s.intervention) other = cat.interventions[cat.intervention_zipf.sample(r)];
      s.comparator = other;
      s.comp_text = other->name;
      break;
    }
  }
  s.condition = cat.condition(r);
  const std::string& cid = s.condition->id;
  if (cid == "acute_low_back_pain")
    s.duration = "acute";
  else if (cid == "subacute_low_back_pain")
    s.duration = "subacute";
  else if (cid == "chronic_low_back_pain")
    s.duration = "chronic";
  else if (r.percent(40)) {
    s.duration = "chronic";
    s.chronic_phrase = true;
  }
  // Only words the annotator's sample-size patterns know ("a total of 120 older adults ...").
  static const std::vector<std::string> pops = {"adults",       "adults", "patients", "patients", "participants",
                                                "older adults", "women",  "men",      "people"};
  s.pop = r.pick(pops);
  s.older = s.pop == "older adults";
  s.pain_primary = r.percent(65);
  s.scale = s.pain_primary ? &scales[r.percent(55) ? 0 : 1] : &scales[r.percent(55) ? 2 : 3];
  s.out1 = s.pain_primary ? r.pick({"pain intensity", "pain", "pain severity"})
                          : r.pick({"disability", "physical function", "function"});
  s.out2 =
      s.pain_primary ? r.pick({"disability", "physical function", "function"}) : r.pick({"pain intensity", "pain"});
  s.out3 = &secondary_outcomes[r.below(std::size(secondary_outcomes))];
  s.out3_phrase = s.out3->phrases[r.below(2)];
  const bool trialish = s.design == Design::rct || s.design == Design::nonrandomised || s.design == Design::protocol;
  s.n = trialish ? 24 + r.range(0, 60) * r.range(1, 12) : 30 + r.range(0, 120) * r.range(1, 20);
  s.centres = r.percent(60) ? 1 : r.range(2, 12);
  s.sessions = r.range(4, 16);
  s.weeks = r.pick(std::vector<int>{4, 6, 8, 10, 12});
  s.follow = std::max(s.weeks, r.pick(std::vector<int>{4, 6, 8, 12, 12, 26, 52}));
  s.n_trials = r.range(4, 60);
  s.n_participants = s.n_trials * r.range(40, 180);
  s.year =
      1995 + static_cast<int>(r.weighted({1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24}) * 2) + r.range(0, 1);
  s.volume = s.year - 1990;
  s.issue = r.range(1, 12);
  s.page = r.range(1, 980);
  s.blinded = r.percent(55);
  s.concealed = r.percent(50);
  s.itt = r.percent(60);
  s.title_variant = r.range(0, 5);
  s.bg_variant = r.range(0, 2);
  const int n_authors = r.range(1, 8);
  for (int k = 0; k < n_authors; ++k) {
    Author a;
    a.last = surname(r);
    const char f1 = static_cast<char>('A' + r.below(26)), f2 = static_cast<char>('A' + r.below(26));
    a.initials = r.percent(50) ? std::string{f1} : std::string{f1, f2};
    a.fore = a.initials.size() == 1 ? std::string{f1} + "." : std::string{f1} + ". " + std::string{f2} + ".";
    s.authors.push_back(a);
  }
  s.keywords = r.percent(50);
  s.mesh_intervention = r.percent(80);
  return s;
}

Results make_results(const Spec& s, std::uint64_t seed) {
  Rng r = stream(seed, s.index, results, s.revision);
  Results x;
  x.truth = static_cast<Truth>(r.weighted({55, 38, 7}));
  x.stated = s.curated || r.percent(90);
  const Scale& sc = *s.scale;
  x.base_i = r.range(sc.base_lo, sc.base_hi);
  x.base_c = x.base_i + r.range(-sc.base_lo / 20, sc.base_lo / 20);
  const int size = r.range(sc.md_lo, sc.md_hi);
  switch (x.truth) {
    case Truth::favours_intervention: x.md = -size; break;
    case Truth::no_difference: x.md = r.range(-sc.md_lo / 2, sc.md_lo / 2); break;
    case Truth::favours_comparator: x.md = size / 2 + 1; break;
  }
  const int a = x.md < 0 ? -x.md : x.md;
  const int hw = x.truth == Truth::no_difference ? r.range(a + 1, a + sc.md_hi / 2 + 2)
                                                 : r.range(std::max(1, a / 5), std::max(1, a - 1));
  x.lo = x.md - hw;
  x.hi = x.md + hw;
  x.change_c = -r.range(sc.md_lo / 2, sc.md_hi);
  x.change_i = x.change_c + x.md;
  x.completed = s.n - r.range(0, s.n / 6);
  const int smd_size = r.range(15, 90);
  x.smd = x.truth == Truth::favours_intervention ? -smd_size
          : x.truth == Truth::no_difference      ? r.range(-8, 8)
                                                 : smd_size / 2 + 1;
  const int sa = x.smd < 0 ? -x.smd : x.smd;
  const int shw =
      x.truth == Truth::no_difference ? r.range(sa + 2, sa + 40) : r.range(std::max(1, sa / 5), std::max(1, sa - 1));
  x.smd_lo = x.smd - shw;
  x.smd_hi = x.smd + shw;
  x.relief_c = r.range(15, 45);
  x.relief_i = x.relief_c + (x.truth == Truth::favours_intervention ? r.range(5, 25)
                             : x.truth == Truth::no_difference      ? r.range(-4, 4)
                                                                    : -r.range(3, 12));
  x.ae_i = r.range(0, s.n / 10 + 1);
  x.ae_c = r.range(0, s.n / 12 + 1);
  x.i2 = r.range(0, 85);
  x.p_code = r.range(0, 3);
  x.conclusion_variant = r.range(0, 3);
  static const std::vector<std::string> levels = {"high", "moderate", "moderate", "low", "low", "very_low"};
  x.certainty = r.pick(levels);
  const int n_down = x.certainty == "high" ? 0 : x.certainty == "moderate" ? 1 : x.certainty == "low" ? 2 : 3;
  std::vector<std::string> domains = {"risk_of_bias", "inconsistency", "indirectness", "imprecision",
                                      "publication_bias"};
  for (int k = 0; k < n_down; ++k) {
    const auto d = r.below(domains.size());
    x.downgrades.push_back(domains[d]);
    domains.erase(domains.begin() + static_cast<std::ptrdiff_t>(d));
  }
  x.adverse_sentence = r.percent(40);
  x.relief_sentence = s.pain_primary && r.percent(60);
  x.extended_months = r.pick(std::vector<int>{6, 12, 24});
  return x;
}

// ---------------------------------------------------------------------------------------------
// Text of a record

struct Section {
  std::string label, text;
};

struct Terms {
  std::string i, i_first, i_short, c, d, d_first, d_short, pop, o1, o2, o3, scale_name, scale_short;
};

Terms terms_of(const Spec& s, const Vocab& v) {
  Terms t;
  t.i = s.intervention->name;
  t.i_short = s.intervention->abbrev.empty() ? t.i : s.intervention->abbrev;
  t.i_first = s.intervention->abbrev.empty() ? t.i : t.i + " (" + s.intervention->abbrev + ")";
  t.c = s.comp_text;
  t.d = s.condition->name;
  t.d_short = s.condition->abbrev.empty() ? t.d : s.condition->abbrev;
  t.d_first = s.condition->abbrev.empty() ? t.d : t.d + " (" + s.condition->abbrev + ")";
  if (s.chronic_phrase) t.d_first += " lasting more than 3 months";
  t.pop = s.pop;
  t.o1 = s.out1;
  t.o2 = s.out2;
  t.o3 = s.out3_phrase;
  const Concept& sc = v.get(s.scale->id);
  t.scale_name = sc.name;
  t.scale_short = sc.abbrev.empty() ? sc.name : sc.abbrev;
  return t;
}

std::string p_text(const Results& x) {
  if (x.truth == Truth::no_difference)
    return x.p_code < 2 ? "p = 0.4" + std::to_string(x.p_code + 1) : "p = 0.2" + std::to_string(x.p_code);
  return x.p_code == 0 ? "p < 0.001" : "p = 0.00" + std::to_string(x.p_code + 2);
}

std::string time_phrase(int weeks) {
  if (weeks == 26) return "6 months";
  if (weeks == 52) return "12 months";
  return std::to_string(weeks) + " weeks";
}

std::string title_of(const Spec& s, const Terms& t) {
  const std::string I = cap(t.i), D = t.d, C = t.c, P = t.pop;
  std::string title;
  switch (s.design) {
    case Design::rct:
      switch (s.title_variant) {
        case 0: title = I + " versus " + C + " for " + D + ": a randomised controlled trial"; break;
        case 1: title = I + " vs " + C + " in " + P + " with " + D + ": a randomized clinical trial"; break;
        case 2:
          title =
              "Effect of " + t.i + " on " + t.o1 + " and " + t.o2 + " in " + P + " with " + D + ": a randomised trial";
          break;
        case 3: title = I + " compared with " + C + " for " + D + ": a pragmatic randomised controlled trial"; break;
        case 4: title = "Does " + t.i + " help " + P + " with " + D + "? A randomised controlled trial"; break;
        default: title = "Efficacy of " + t.i + " for " + D + ": a multicentre RCT"; break;
      }
      break;
    case Design::nonrandomised:
      title = s.title_variant % 2 ? I + " versus " + C + " for " + D + ": a non-randomised controlled trial"
                                  : I + " for " + D + " in " + P + ": a controlled clinical trial";
      break;
    case Design::systematic_review:
      switch (s.title_variant % 4) {
        case 0: title = I + " for " + D + ": a systematic review" + (s.meta ? " and meta-analysis" : ""); break;
        case 1:
          title = I + " versus " + C + " for " + D + ": systematic review" + (s.meta ? " and meta-analysis" : "") +
                  " of randomised controlled trials";
          break;
        case 2:
          title = "Efficacy and safety of " + t.i + " for " + D + ": a systematic review" +
                  (s.meta ? " with meta-analysis" : "");
          break;
        default:
          title = I + " for " + t.o1 + " in " + P + " with " + D + ": a systematic review of randomized trials";
          break;
      }
      break;
    case Design::narrative_review:
      title = s.title_variant % 2 ? I + " in the management of " + D + ": a narrative review"
                                  : "Current concepts: " + t.i + " for " + D;
      break;
    case Design::cohort:
      title = s.title_variant % 2 ? I + " and " + t.o1 + " in " + P + " with " + D + ": a prospective cohort study"
                                  : "Outcomes after " + t.i + " for " + D + ": a retrospective cohort study";
      break;
    case Design::case_series:
      title = I + " for " + D + ": a case series of " + std::to_string(s.n) + " patients";
      break;
    case Design::protocol:
      title = I + " versus " + C + " for " + D + ": protocol for a randomised controlled trial";
      break;
    case Design::guideline: title = "Clinical practice guideline: " + t.i + " for " + D + " in " + P; break;
    case Design::other: title = I + " for " + D + ": experience from a spine service"; break;
  }
  return title + " [synthetic]";
}

void add(std::string& out, std::initializer_list<std::string_view> parts) {
  for (auto p : parts) out += p;
}

// The abstract: labelled sections. Filler comes from its own stream with budgets drawn there
// too, so an updated record keeps its background and methods word for word.
std::vector<Section> abstract_of(const Spec& s, const Results& x, const Terms& t, const Words& words,
                                 std::uint64_t seed) {
  Rng f = stream(seed, s.index, filler);
  const int budget_bg = f.range(250, 520), budget_methods = f.range(200, 460), budget_results = f.range(150, 400);
  std::string bg, methods, res, concl;
  const std::string I = cap(t.i), Is = t.i_short, D = t.d, P = t.pop, F = time_phrase(s.follow);
  const std::string md = tenths(x.md), ci = tenths(x.lo) + " to " + tenths(x.hi);
  const std::string smd = hundredths(x.smd), sci = hundredths(x.smd_lo) + " to " + hundredths(x.smd_hi);
  const bool trial = s.design == Design::rct || s.design == Design::nonrandomised;

  // BACKGROUND
  switch (s.bg_variant) {
    case 0: add(bg, {"In ", P, " with ", t.d_first, ", the place of ", t.i_first, " remains debated. "}); break;
    case 1:
      add(bg, {"The efficacy of ", t.i_first, " for ", t.d_first,
               " is uncertain, and guidance differs between countries. "});
      break;
    default:
      add(bg, {"Among treatments offered for ", t.d_first, ", ", t.i_first,
               " is widely used, but evidence on its efficacy compared with ", t.c, " is limited. "});
      break;
  }
  if (s.design == Design::protocol)
    add(bg, {"This trial will test whether ", Is, " reduces ", t.o1, " compared with ", t.c, "."});
  else if (s.design == Design::systematic_review)
    add(bg, {"We summarised the trials of ", Is, " compared with ", t.c, " in ", P, " with ", D, "."});
  else if (s.design == Design::guideline)
    add(bg, {"This guideline states recommendations on ", Is, " for ", D, "."});
  else
    add(bg, {"We assessed ", Is, " for ", t.o1, " in ", P, " with ", D, "."});
  words.sentences(bg, f, budget_bg);

  // METHODS
  switch (s.design) {
    case Design::rct:
      add(methods, {"In this ",
                    s.blinded ? "double-blind " : "",
                    "randomised controlled trial at ",
                    std::to_string(s.centres),
                    s.centres == 1 ? " centre" : " centres",
                    ", a total of ",
                    std::to_string(s.n),
                    " ",
                    P,
                    " with ",
                    D,
                    " were randomised to ",
                    Is,
                    " (",
                    std::to_string(s.sessions),
                    " sessions over ",
                    std::to_string(s.weeks),
                    " weeks) or ",
                    t.c,
                    ". "});
      break;
    case Design::nonrandomised:
      add(methods, {"A total of ", std::to_string(s.n), " ", P, " with ", D,
                    " were enrolled; consecutive clinic attenders received ", Is, " and a concurrent group received ",
                    t.c, ". "});
      break;
    case Design::protocol:
      add(methods,
          {"We will recruit a total of ", std::to_string(s.n), " ", P, " with ", D, " at ", std::to_string(s.centres),
           s.centres == 1 ? " centre" : " centres", " and randomise them to ", Is, " or ", t.c, ". "});
      break;
    case Design::systematic_review:
    case Design::guideline:
      add(methods, {"We searched MEDLINE, Embase, CINAHL and CENTRAL from inception to ", std::to_string(s.year - 1),
                    " for randomised controlled trials of ", Is, " in ", P, " with ", D,
                    ". Two reviewers independently selected studies, extracted data and assessed risk of bias. "});
      if (s.meta)
        add(methods,
            {"Random-effects meta-analyses were performed, and the certainty of evidence was rated with GRADE. "});
      break;
    case Design::narrative_review:
      add(methods,
          {"We reviewed published studies of ", Is, " for ", D, " and summarised their methods and findings. "});
      break;
    case Design::cohort:
    case Design::case_series:
    case Design::other:
      add(methods, {"A total of ", std::to_string(s.n), " patients with ", D, " who received ", Is,
                    " were followed for ", std::to_string(std::max(3, s.follow / 4)), " months. "});
      break;
  }
  if (s.design != Design::narrative_review) {
    const bool future = s.design == Design::protocol;
    add(methods, {"The primary outcome ", future ? "will be " : "was ", t.o1, " on the ", t.scale_name, " (",
                  t.scale_short, ", ", s.scale->range, ") at ", F, "; secondary outcomes ",
                  future ? "will include " : "included ", t.o2, " and ", t.o3, ". "});
  }
  if (s.design == Design::rct || s.design == Design::protocol) {
    if (s.blinded) methods += "Outcomes were collected by a blinded assessor. ";
    if (s.concealed) methods += "Allocation was concealed with a central web-based system. ";
    if (s.itt) methods += "Analyses followed the intention-to-treat principle. ";
  }
  words.sentences(methods, f, budget_methods);

  // RESULTS
  if (trial) {
    add(res, {"Of the ", std::to_string(s.n), " participants, ", std::to_string(x.completed), " completed the ", F,
              " follow-up. "});
    add(res,
        {"At ", F, ", mean ", t.scale_short, " scores changed by ", tenths(x.change_i), " points with ", Is, " and by ",
         tenths(x.change_c), " points with ", t.c, " (mean difference ", md, ", 95% CI ", ci, "; ", p_text(x), "). "});
    if (x.truth == Truth::favours_intervention)
      add(res, {"Differences in ", t.o2, " also favoured ", Is, " (standardised mean difference ", smd, ", 95% CI ",
                sci, "). "});
    else
      add(res, {"Between-group differences in ", t.o2, " were small (standardised mean difference ", smd, ", 95% CI ",
                sci, "). "});
    if (x.relief_sentence)
      add(res, {"Clinically important pain relief (at least 30%) was reported by ", std::to_string(x.relief_i),
                "% with ", Is, " and ", std::to_string(x.relief_c), "% with ", t.c, ". "});
    if (x.adverse_sentence)
      add(res, {"Adverse events were mild and transient (", std::to_string(x.ae_i), " in the ", Is, " group and ",
                std::to_string(x.ae_c), " in the control group). "});
  } else if (s.design == Design::systematic_review || s.design == Design::guideline) {
    add(res, {std::to_string(s.n_trials), " randomised controlled trials with ", std::to_string(s.n_participants),
              " participants were included. "});
    add(res, {"Compared with ", t.c, ", ", Is,
              x.truth == Truth::favours_intervention ? " reduced " : " had a small effect on ", t.o1, " at ", F,
              " (standardised mean difference ", smd, ", 95% CI ", sci, "; I2 = ", std::to_string(x.i2), "%). "});
  } else if (s.design == Design::cohort || s.design == Design::case_series || s.design == Design::other) {
    add(res, {"Mean ", t.scale_short, " scores changed from ", tenths(x.base_i), " to ", tenths(x.base_i + x.change_i),
              " points at ", F, ". "});
    if (x.adverse_sentence) add(res, {"Adverse events were reported by ", std::to_string(x.ae_i), " patients. "});
  }
  if (s.revision > 0 && s.design != Design::protocol && s.design != Design::narrative_review)
    add(res,
        {"This updated report adds follow-up to ", std::to_string(x.extended_months),
         " months and corrects the analysis of the secondary outcomes (revision ", std::to_string(s.revision), "). "});
  if (!res.empty()) words.sentences(res, f, budget_results);

  // CONCLUSIONS: the direction, worded the ways trial abstracts word it.
  const int v = x.conclusion_variant;
  if (trial && !x.stated) {
    switch (v % 3) {
      case 0: add(concl, {I, " improved ", t.o1, " compared with ", t.c, "; larger trials are needed."}); break;
      case 1: add(concl, {"These results can inform shared decisions about ", t.i, " for ", D, "."}); break;
      default:
        add(concl, {"Further trials with longer follow-up are needed to define the role of ", t.i, " in ", D, "."});
        break;
    }
  } else if (trial || s.design == Design::cohort || s.design == Design::case_series || s.design == Design::other) {
    if (!trial) {
      add(concl, {I, " was associated with a change in ", t.o1, " over follow-up in ", P, " with ", D,
                  "; controlled trials are needed."});
    } else if (x.truth == Truth::favours_intervention) {
      switch (v) {
        case 0:
          add(concl, {"In ", P, " with ", D, ", ", t.i, " was more effective than ", t.c, " for reducing ", t.o1,
                      " at ", F, "."});
          break;
        case 1:
          add(concl, {I, " produced a significant improvement in ", t.o1, " and ", t.o2, " compared with ", t.c, "."});
          break;
        case 2: add(concl, {I, " was superior to ", t.c, " for ", t.o1, " in ", D, "."}); break;
        default:
          add(concl, {I, " significantly reduced ", t.o1, " compared with ", t.c, " in ", P, " with ", D, "."});
          break;
      }
    } else if (x.truth == Truth::no_difference) {
      switch (v) {
        case 0: add(concl, {I, " was no more effective than ", t.c, " for ", t.o1, " in ", P, " with ", D, "."}); break;
        case 1:
          add(concl, {"There was no significant difference between ", t.i, " and ", t.c, " in ", t.o1, " at ", F, "."});
          break;
        case 2: add(concl, {I, " did not differ from ", t.c, " in ", t.o1, " or ", t.o2, " at ", F, "."}); break;
        default: add(concl, {I, " was not superior to ", t.c, " for ", t.o1, " in ", P, " with ", D, "."}); break;
      }
    } else {
      if (v % 2)
        add(concl, {I, " was less effective than ", t.c, " for ", t.o1, " in ", P, " with ", D, "."});
      else
        add(concl, {I, " was inferior to ", t.c, " for reducing ", t.o1, " at ", F, "."});
    }
  } else if (s.design == Design::systematic_review) {
    static const std::unordered_map<std::string, std::string> word = {
        {"high", "High"}, {"moderate", "Moderate"}, {"low", "Low"}, {"very_low", "Very low"}};
    if (x.truth == Truth::favours_intervention)
      add(concl, {word.at(x.certainty), "-certainty evidence suggests that ", t.i, " reduces ", t.o1, " in ", P,
                  " with ", D, " compared with ", t.c, "."});
    else if (x.truth == Truth::no_difference)
      add(concl, {I, " probably makes little or no difference to ", t.o1, " compared with ", t.c, " (",
                  lower(word.at(x.certainty)), "-certainty evidence)."});
    else
      add(concl, {I, " was less effective than ", t.c, " for ", t.o1, " (", lower(word.at(x.certainty)),
                  "-certainty evidence)."});
  } else if (s.design == Design::guideline) {
    add(concl, {"The panel ",
                x.truth == Truth::favours_intervention ? "suggests offering " : "suggests not routinely offering ", t.i,
                " to ", P, " with ", D, "."});
  } else if (s.design == Design::narrative_review) {
    add(concl, {"Evidence on ", t.i, " for ", D,
                " is growing but remains heterogeneous; we outline priorities for research."});
    if (s.revision > 0)
      add(concl, {" This updated review (revision ", std::to_string(s.revision), ") adds studies published to ",
                  std::to_string(s.year + 1), "."});
  }

  std::vector<Section> out;
  if (s.design == Design::narrative_review) {  // unstructured, as many reviews are
    out.push_back({"", bg + " " + methods + " " + concl});
    return out;
  }
  out.push_back({"BACKGROUND", bg});
  out.push_back({"METHODS", methods});
  if (s.design == Design::protocol) {
    std::string discussion =
        "This trial will show whether " + t.i + " reduces " + t.o1 + " in " + P + " with " + D + ".";
    if (s.revision > 0)
      discussion += " The protocol was amended (revision " + std::to_string(s.revision) + ") to extend follow-up to " +
                    std::to_string(x.extended_months) + " months.";
    out.push_back({"DISCUSSION", discussion});
    return out;
  }
  if (!res.empty()) out.push_back({"RESULTS", res});
  out.push_back({"CONCLUSIONS", concl});
  return out;
}

std::vector<std::string> publication_types(const Spec& s) {
  switch (s.design) {
    case Design::rct: return {"Journal Article", "Randomized Controlled Trial"};
    case Design::nonrandomised: return {"Journal Article", "Controlled Clinical Trial"};
    case Design::systematic_review:
      return s.meta ? std::vector<std::string>{"Journal Article", "Meta-Analysis", "Review", "Systematic Review"}
                    : std::vector<std::string>{"Journal Article", "Review", "Systematic Review"};
    case Design::narrative_review: return {"Journal Article", "Review"};
    case Design::cohort: return {"Journal Article", "Observational Study"};
    case Design::case_series: return {"Case Reports"};
    case Design::protocol: return {"Journal Article", "Clinical Trial Protocol"};
    case Design::guideline: return {"Journal Article", "Practice Guideline"};
    case Design::other: return {"Journal Article"};
  }
  return {"Journal Article"};
}

// ---------------------------------------------------------------------------------------------
// PubMed XML

constexpr const char* month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void write_pubmed(std::string& out, const Spec& s, const Vocab& v, const Words& words, std::uint64_t seed) {
  const Results x = make_results(s, seed);
  const Terms t = terms_of(s, v);
  const std::string title = title_of(s, t);
  const auto sections = abstract_of(s, x, t, words, seed);
  out += "<PubmedArticle>\n<MedlineCitation Status=\"MEDLINE\" Owner=\"NLM\">\n<PMID Version=\"1\">";
  out += s.pmid;
  out += "</PMID>\n";
  if (s.revision > 0)
    out += "<DateRevised><Year>2026</Year><Month>11</Month><Day>27</Day></DateRevised>\n";
  else
    add(out, {"<DateRevised><Year>", std::to_string(std::min(2025, s.year + 1)),
              "</Year><Month>01</Month><Day>15</Day></DateRevised>\n"});
  out += "<Article PubModel=\"Print\">\n<Journal>\n<JournalIssue CitedMedium=\"Internet\"><Volume>";
  add(out,
      {std::to_string(s.volume), "</Volume><Issue>", std::to_string(s.issue), "</Issue><PubDate><Year>",
       std::to_string(s.year), "</Year><Month>", month_names[s.issue - 1], "</Month></PubDate></JournalIssue>\n<Title>",
       journal_title, "</Title>\n<ISOAbbreviation>", journal_abbrev, "</ISOAbbreviation>\n</Journal>\n<ArticleTitle>"});
  xml_text(out, title);
  add(out, {"</ArticleTitle>\n<Pagination><MedlinePgn>", std::to_string(s.page), "-", std::to_string(s.page + 9),
            "</MedlinePgn></Pagination>\n<ELocationID EIdType=\"doi\" ValidYN=\"Y\">", s.doi,
            "</ELocationID>\n<Abstract>\n"});
  for (const auto& sec : sections) {
    if (sec.label.empty())
      out += "<AbstractText>";
    else
      add(out, {"<AbstractText Label=\"", sec.label, "\" NlmCategory=\"",
                sec.label == "DISCUSSION" ? "CONCLUSIONS" : sec.label, "\">"});
    xml_text(out, sec.text);
    out += "</AbstractText>\n";
  }
  out += "</Abstract>\n<AuthorList CompleteYN=\"Y\">\n";
  for (const auto& a : s.authors)
    add(out, {"<Author ValidYN=\"Y\"><LastName>", a.last, "</LastName><ForeName>", a.fore, "</ForeName><Initials>",
              a.initials, "</Initials></Author>\n"});
  out += "</AuthorList>\n<Language>eng</Language>\n<PublicationTypeList>\n";
  for (const auto& p : publication_types(s)) add(out, {"<PublicationType>", p, "</PublicationType>\n"});
  out += "</PublicationTypeList>\n</Article>\n<MedlineJournalInfo><Country>United States</Country><MedlineTA>";
  add(out, {journal_abbrev, "</MedlineTA></MedlineJournalInfo>\n<MeshHeadingList>\n"});
  auto mesh = [&](const std::string& heading, bool major) {
    if (heading.empty()) return;
    add(out, {"<MeshHeading><DescriptorName MajorTopicYN=\"", major ? "Y" : "N", "\">"});
    xml_text(out, heading);
    out += "</DescriptorName></MeshHeading>\n";
  };
  mesh(s.older ? "Aged" : "Adult", false);
  mesh("Female", false);
  mesh("Humans", false);
  mesh(v.mesh_heading(*s.condition).empty() ? s.condition->preferred : v.mesh_heading(*s.condition), true);
  mesh("Male", false);
  mesh("Middle Aged", false);
  if (s.mesh_intervention) mesh(s.intervention->mesh.empty() ? s.intervention->preferred : s.intervention->mesh, true);
  if (s.design == Design::rct || s.design == Design::nonrandomised) mesh("Treatment Outcome", false);
  mesh(s.pain_primary ? "Pain Measurement" : "Disability Evaluation", false);
  out += "</MeshHeadingList>\n";
  if (s.keywords) {
    out += "<KeywordList Owner=\"NOTNLM\">\n";
    for (const auto& k :
         {t.d, t.i, std::string(s.design == Design::systematic_review ? "systematic review" : "rehabilitation")}) {
      out += "<Keyword MajorTopicYN=\"N\">";
      xml_text(out, k);
      out += "</Keyword>\n";
    }
    out += "</KeywordList>\n";
  }
  add(out, {"</MedlineCitation>\n<PubmedData>\n<PublicationStatus>ppublish</"
            "PublicationStatus>\n<ArticleIdList>\n<ArticleId IdType=\"pubmed\">",
            s.pmid, "</ArticleId>\n<ArticleId IdType=\"doi\">", s.doi,
            "</ArticleId>\n</ArticleIdList>\n</PubmedData>\n</PubmedArticle>\n"});
}

// ---------------------------------------------------------------------------------------------
// Curated JSON (schema/study.schema.json)

std::string comp_kind_name(CompKind k) {
  switch (k) {
    case CompKind::placebo_sham: return "placebo_sham";
    case CompKind::usual_care: return "usual_care";
    case CompKind::no_treatment: return "no_treatment";
    case CompKind::active: return "active";
  }
  return "mixed";
}

std::string direction_name(Truth t) {
  switch (t) {
    case Truth::favours_intervention: return "favours_intervention";
    case Truth::no_difference: return "no_difference";
    case Truth::favours_comparator: return "favours_comparator";
  }
  return "unclear";
}

std::string time_point(int weeks) { return weeks <= 12 ? "short" : weeks < 52 ? "intermediate" : "long"; }

void write_curated(std::string& out, const Spec& s, const Vocab& v, const Words& words, std::uint64_t seed) {
  const Results x = make_results(s, seed);
  const Terms t = terms_of(s, v);
  const bool review = s.design == Design::systematic_review;
  Rng r = stream(seed, s.index, results, s.revision + 100);  // quality judgements change with a revision too
  ordered_json j;
  j["id"] = s.syn_id;
  j["identifiers"] = {{"pmid", s.pmid}, {"doi", s.doi}};
  j["title"] = title_of(s, t);
  ordered_json authors = ordered_json::array();
  for (const auto& a : s.authors) authors.push_back(a.last + " " + a.initials);
  j["authors"] = authors;
  j["authors_complete"] = true;
  j["journal"] = journal_title;
  j["citation"] = std::string(journal_abbrev) + " " + std::to_string(s.year) + ";" + std::to_string(s.volume) + "(" +
                  std::to_string(s.issue) + "):" + std::to_string(s.page) + "-" + std::to_string(s.page + 9);
  j["year"] = s.year;
  j["language"] = "eng";
  j["publication_types"] = publication_types(s);
  ordered_json abs = ordered_json::array();
  for (const auto& sec : abstract_of(s, x, t, words, seed)) abs.push_back({{"label", sec.label}, {"text", sec.text}});
  j["abstract"] = abs;
  j["design"] = review ? "systematic_review" : "rct";
  if (review) j["meta_analysis"] = s.meta;
  j["design_label"] = review ? (s.meta ? "Synthetic systematic review with meta-analysis of RCTs"
                                       : "Synthetic systematic review of RCTs")
                             : "Synthetic randomised controlled trial";
  ordered_json pop = {{"description", std::to_string(review ? s.n_participants : s.n) + " " + s.pop + " with " + t.d +
                                          " (synthetic benchmark record)."},
                      {"conditions", {s.condition->id}},
                      {"duration", s.duration}};
  if (review) {
    pop["n_trials"] = s.n_trials;
    pop["n_participants"] = s.n_participants;
  } else {
    pop["n_randomised"] = s.n;
  }
  j["population"] = pop;
  j["interventions"] =
      ordered_json::array({{{"concepts", {s.intervention->id}}, {"label", cap(s.intervention->name)}}});
  j["comparators"] = ordered_json::array(
      {{{"concepts", {s.comparator->id}}, {"label", cap(t.c)}, {"kind", comp_kind_name(s.comp_kind)}}});

  const std::string dir = direction_name(x.truth);
  const std::string tp = time_point(s.follow), tl = "at " + time_phrase(s.follow);
  const std::string comp_list_kind = comp_kind_name(s.comp_kind);
  ordered_json certainty;
  if (review) {
    certainty = {{"system", "GRADE"}, {"level", x.certainty}};
    certainty["statement"] = cap(x.certainty == "very_low" ? "very low" : x.certainty) + "-certainty evidence" +
                             (x.downgrades.empty() ? "."
                                                   : " (downgraded for " + std::to_string(x.downgrades.size()) +
                                                         " domain" + (x.downgrades.size() > 1 ? "s" : "") + ").");
    if (!x.downgrades.empty()) certainty["downgrades"] = x.downgrades;
  }
  auto outcome = [&](const char* domain, const char* instrument, const std::string& label, const ordered_json& effect,
                     const std::string& text, bool primary) {
    ordered_json o;
    o["domain"] = domain;
    if (instrument) o["instrument"] = instrument;
    if (!label.empty()) o["instrument_label"] = label;
    o["time_point"] = tp;
    o["time_label"] = tl;
    o["intervention"] = {s.intervention->id};
    o["comparator"] = {s.comparator->id};
    o["comparator_kind"] = comp_list_kind;
    o["direction"] = dir;
    o["effect"] = effect;
    if (review) {
      o["n_studies"] = s.n_trials;
      o["n_participants"] = s.n_participants;
      o["certainty"] = certainty;
    } else {
      o["n_participants"] = x.completed;
    }
    o["primary"] = primary;
    o["result_text"] = text;
    return o;
  };
  const Scale& sc = *s.scale;
  ordered_json outcomes = ordered_json::array();
  const char* d1 = s.pain_primary ? "pain" : "function";
  const char* d2 = s.pain_primary ? "function" : "pain";
  if (review) {
    ordered_json e = {{"measure", "SMD"},
                      {"value", x.smd / 100.0},
                      {"ci_low", x.smd_lo / 100.0},
                      {"ci_high", x.smd_hi / 100.0},
                      {"better", "lower"},
                      {"contrast", "intervention_minus_comparator"},
                      {"label", "Pooled SMD, " + t.i + " minus " + t.c + ", " + tl}};
    outcomes.push_back(outcome(d1, nullptr, "", e,
                               "Pooled over " + std::to_string(s.n_trials) + " trials, SMD " + hundredths(x.smd) +
                                   " (95% CI " + hundredths(x.smd_lo) + " to " + hundredths(x.smd_hi) +
                                   "; I2 = " + std::to_string(x.i2) + "%) for " + t.o1 + " " + tl + ".",
                               true));
    // The secondary outcome on a 0-100 scale, as mean difference.
    const int md2 = x.md * 100 / sc.max, lo2 = x.lo * 100 / sc.max, hi2 = x.hi * 100 / sc.max;
    ordered_json e2 = {{"measure", "MD"},
                       {"value", std::min(std::max(md2, lo2), hi2) / 10.0},
                       {"ci_low", lo2 / 10.0},
                       {"ci_high", hi2 / 10.0},
                       {"scale_min", 0},
                       {"scale_max", 100},
                       {"better", "lower"},
                       {"contrast", "intervention_minus_comparator"},
                       {"label", "Pooled MD on a 0-100 scale"}};
    outcomes.push_back(outcome(d2, nullptr, "0-100 scale", e2,
                               "Pooled mean difference " + tenths(md2) + " on a 0-100 scale for " + t.o2 + ".", false));
  } else {
    ordered_json e = {
        {"measure", "MD"},
        {"value", x.md / 10.0},
        {"ci_low", x.lo / 10.0},
        {"ci_high", x.hi / 10.0},
        {"scale_min", 0},
        {"scale_max", sc.max},
        {"better", "lower"},
        {"contrast", "intervention_minus_comparator"},
        {"label", std::string(t.scale_short) + " " + sc.range + ", " + t.i + " minus " + t.c + ", " + tl}};
    outcomes.push_back(outcome(d1, sc.id, t.scale_short + " " + sc.range, e,
                               "Mean difference " + tenths(x.md) + " points on the " + t.scale_short + " (95% CI " +
                                   tenths(x.lo) + " to " + tenths(x.hi) + "; " + p_text(x) + ") " + tl + ".",
                               true));
    ordered_json e2 = {{"measure", "SMD"},           {"value", x.smd / 100.0},
                       {"ci_low", x.smd_lo / 100.0}, {"ci_high", x.smd_hi / 100.0},
                       {"better", "lower"},          {"contrast", "intervention_minus_comparator"},
                       {"label", "SMD for " + t.o2}};
    outcomes.push_back(outcome(d2, nullptr, "", e2,
                               "Standardised mean difference " + hundredths(x.smd) + " for " + t.o2 + " " + tl + ".",
                               false));
  }
  j["outcomes"] = outcomes;

  ordered_json quality;
  static const std::vector<std::string> judgements = {"low", "low", "low", "some_concerns", "some_concerns", "high"};
  if (review) {
    const std::string overall = r.pick(std::vector<std::string>{"low", "low", "unclear", "high"});
    quality["risk_of_bias"] = {{"tool", "ROBIS"}, {"overall", overall}, {"source", "synthetic"}};
    quality["certainty_statement"] = certainty["statement"];
    quality["grading_system"] = "GRADE";
  } else {
    static const char* rob2[] = {"Randomisation process", "Deviations from intended interventions",
                                 "Missing outcome data", "Measurement of the outcome",
                                 "Selection of the reported result"};
    ordered_json domains = ordered_json::array();
    int worst = 0;
    for (const char* d : rob2) {
      const std::string jd = r.pick(judgements);
      worst = std::max(worst, jd == "high" ? 2 : jd == "some_concerns" ? 1 : 0);
      domains.push_back({{"domain", d}, {"judgement", jd}});
    }
    quality["risk_of_bias"] = {{"tool", "RoB2"},
                               {"overall", worst == 2   ? "high"
                                           : worst == 1 ? "some_concerns"
                                                        : "low"},
                               {"domains", domains},
                               {"source", "synthetic"}};
    if (r.percent(30)) {
      ordered_json items = ordered_json::array();
      int score = 0;
      for (int k = 0; k < 11; ++k) {
        const bool yes = r.percent(k == 0 ? 90 : 65);
        if (k > 0 && yes) ++score;
        items.push_back(yes);
      }
      quality["pedro"] = {{"score", score}, {"items", items}, {"source", "synthetic"}};
    }
    quality["certainty_statement"] = "Single synthetic trial; not GRADE-rated.";
    quality["grading_system"] = "none";
  }
  j["quality"] = quality;
  const std::string effect_words = x.truth == Truth::favours_intervention ? "favouring " + t.i
                                   : x.truth == Truth::no_difference      ? "showing little or no difference"
                                                                          : "favouring " + t.c;
  j["summary"] = {
      {"clinician", std::string(review ? "Synthetic systematic review (" + std::to_string(s.n_trials) + " RCTs, " +
                                             std::to_string(s.n_participants) + " participants)"
                                       : "Synthetic RCT (n=" + std::to_string(s.n) + ")") +
                        " of " + t.i + " vs " + t.c + " in " + s.pop + " with " + t.d + ": " + t.o1 + " " + tl + " " +
                        (review ? "SMD " + hundredths(x.smd) + " (95% CI " + hundredths(x.smd_lo) + " to " +
                                      hundredths(x.smd_hi) + ")"
                                : "MD " + tenths(x.md) + " (95% CI " + tenths(x.lo) + " to " + tenths(x.hi) +
                                      ") on the " + t.scale_short) +
                        ", " + effect_words + "."},
      {"plain", "This is a made-up study used to test the search engine. It compared " + t.i + " with " + t.c + " in " +
                    s.pop + " with " + t.d + ". After " + time_phrase(s.follow) + ", " +
                    (x.truth == Truth::favours_intervention ? "people who had " + t.i + " were better off."
                     : x.truth == Truth::no_difference      ? "both groups did about the same."
                                                            : "people who had " + t.c + " were better off.")}};
  ordered_json prov = {
      {"sources", {"synthetic:gen_corpus/seed-" + std::to_string(seed) + "/record-" + std::to_string(s.index + 1)}}};
  prov["notes"] = s.revision > 0
                      ? "Synthetic benchmark record generated by bench/gen_corpus; not a real study. Revision " +
                            std::to_string(s.revision) + ": results and conclusions changed."
                      : "Synthetic benchmark record generated by bench/gen_corpus; not a real study.";
  j["provenance"] = prov;
  out += j.dump();
  out += '\n';
}

// ---------------------------------------------------------------------------------------------
// Output files

class FileSet {
 public:
  FileSet(fs::path dir, std::string prefix, std::string ext, std::string head, std::string tail, std::size_t per_file)
      : dir_(std::move(dir)),
        prefix_(std::move(prefix)),
        ext_(std::move(ext)),
        head_(std::move(head)),
        tail_(std::move(tail)),
        per_file_(per_file) {}
  std::string& record() {
    if (count_ == 0) buf_ = head_;
    return buf_;
  }
  void done() {
    if (++count_ == per_file_) flush();
  }
  void flush() {
    if (count_ == 0) return;
    buf_ += tail_;
    char name[64];
    std::snprintf(name, sizeof name, "%s-%06zu%s", prefix_.c_str(), ++files_, ext_.c_str());
    const fs::path p = dir_ / name;
    std::FILE* f = std::fopen(p.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot write " + p.string());
    const bool ok = std::fwrite(buf_.data(), 1, buf_.size(), f) == buf_.size();
    if (std::fclose(f) != 0 || !ok) throw std::runtime_error("write failed: " + p.string());
    bytes_ += buf_.size();
    records_ += count_;
    count_ = 0;
    buf_.clear();
  }
  std::size_t files() const { return files_; }
  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t records() const { return records_; }

 private:
  fs::path dir_;
  std::string prefix_, ext_, head_, tail_, buf_;
  std::size_t per_file_, count_ = 0, files_ = 0;
  std::uint64_t bytes_ = 0, records_ = 0;
};

bool is_curated(std::uint64_t i, std::uint64_t share_ppm) {
  return (i + 1) * share_ppm / 1000000 > i * share_ppm / 1000000;
}

std::string fmt_double(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

}  // namespace

int main(int argc, char** argv) try {
  std::uint64_t records = 0, seed = 1;
  std::string out_dir, vocabulary = std::string(EVIDENCE_SOURCE_DIR) + "/schema/vocabulary.json";
  std::size_t per_file = 1000;
  double curated_share = 0.05, update_fraction = 0;
  bool overwrite = false;
  CLI::App app{
      "gen_corpus: deterministic synthetic PubMed XML and curated JSON Lines records for the scale benchmarks"};
  app.add_option("--records", records, "number of records (at most 9999999)")
      ->required()
      ->check(CLI::Range(std::uint64_t{1}, max_records));
  app.add_option("--seed", seed, "random seed")->capture_default_str();
  app.add_option("--out", out_dir, "output directory (created; must not already hold generated files)")->required();
  app.add_option("--per-file", per_file, "records per output file")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  app.add_option("--curated-share", curated_share, "share of records written as curated JSON")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--update-fraction", update_fraction, "write only this share of the corpus, as changed records")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--vocabulary", vocabulary, "vocabulary file")->capture_default_str();
  app.add_flag("--overwrite", overwrite, "replace generated files already in --out");
  CLI11_PARSE(app, argc, argv);

  const auto t0 = std::chrono::steady_clock::now();
  const Vocab vocab(vocabulary);
  const Catalogue cat(vocab);
  const Words words(vocab);
  const fs::path dir(out_dir);
  fs::create_directories(dir);
  const bool update = update_fraction > 0;
  const std::string pubmed_prefix = update ? "pubmed-update" : "pubmed",
                    curated_prefix = update ? "curated-update" : "curated";
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    const bool ours = (name.rfind(pubmed_prefix + "-", 0) == 0 && e.path().extension() == ".xml") ||
                      (name.rfind(curated_prefix + "-", 0) == 0 && e.path().extension() == ".jsonl");
    if (!ours) continue;
    if (!overwrite)
      throw std::runtime_error(dir.string() + " already holds generated files (" + name +
                               "); use an empty directory or --overwrite");
    fs::remove(e.path());
  }
  const auto share_ppm = static_cast<std::uint64_t>(curated_share * 1000000.0 + 0.5);

  // The records to write: all, or for an update a sample of round(F*N) (Floyd's algorithm).
  std::vector<std::uint64_t> chosen;
  std::uint64_t to_write = records;
  if (update) {
    to_write = static_cast<std::uint64_t>(update_fraction * static_cast<double>(records) + 0.5);
    if (to_write == 0) to_write = 1;
    Rng r(splitmix64(seed ^ 0x5550444154450000ull));  // "UPDATE"
    std::set<std::uint64_t> pick;
    for (std::uint64_t j = records - to_write; j < records; ++j) {
      const std::uint64_t x = r.below(j + 1);
      pick.insert(pick.count(x) ? j : x);
    }
    chosen.assign(pick.begin(), pick.end());
  }

  const std::string xml_head =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<!DOCTYPE PubmedArticleSet PUBLIC \"-//NLM//DTD PubMedArticle, 1st January 2025//EN\" "
      "\"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd\">\n"
      "<!-- Synthetic benchmark records written by bench/gen_corpus; not real citations. -->\n"
      "<PubmedArticleSet>\n";
  FileSet pubmed(dir, pubmed_prefix, ".xml", xml_head, "</PubmedArticleSet>\n", per_file);
  FileSet curated(dir, curated_prefix, ".jsonl", "", "", per_file);
  const int revision = update ? 1 : 0;
  auto one = [&](std::uint64_t i) {
    const bool c = is_curated(i, share_ppm);
    const Spec s = make_spec(cat, seed, i, c, revision);
    if (c) {
      write_curated(curated.record(), s, vocab, words, seed);
      curated.done();
    } else {
      write_pubmed(pubmed.record(), s, vocab, words, seed);
      pubmed.done();
    }
  };
  if (update)
    for (std::uint64_t i : chosen) one(i);
  else
    for (std::uint64_t i = 0; i < records; ++i) one(i);
  pubmed.flush();
  curated.flush();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::string reproduce = std::string(argv[0]) + " --records " + std::to_string(records) + " --seed " +
                          std::to_string(seed) + " --out " + out_dir + " --per-file " + std::to_string(per_file) +
                          " --curated-share " + fmt_double(curated_share);
  if (update) reproduce += " --update-fraction " + fmt_double(update_fraction);
  {
    std::ofstream m(dir / (update ? "gen_corpus-update.txt" : "gen_corpus.txt"));
    m << "Synthetic benchmark records written by bench/gen_corpus; not real citations.\n"
      << "records " << (pubmed.records() + curated.records()) << " (PubMed XML " << pubmed.records()
      << ", curated JSON " << curated.records() << ")\n"
      << "vocabulary " << vocabulary << " version " << vocab.version << "\n"
      << "reproduce: " << reproduce << "\n";
  }
  const std::uint64_t total = pubmed.records() + curated.records(), bytes = pubmed.bytes() + curated.bytes();
  std::printf("gen_corpus: wrote %llu %srecords to %s: %llu PubMed XML in %zu files, %llu curated JSON in %zu files\n",
              static_cast<unsigned long long>(total), update ? "changed " : "", out_dir.c_str(),
              static_cast<unsigned long long>(pubmed.records()), pubmed.files(),
              static_cast<unsigned long long>(curated.records()), curated.files());
  std::printf(
      "%.1f MB (%llu bytes, %.0f bytes/record) in %.2f s (%.0f records/s, %.1f MB/s); %zu filler words + %zu tail "
      "words\n",
      static_cast<double>(bytes) / 1e6, static_cast<unsigned long long>(bytes),
      total ? static_cast<double>(bytes) / static_cast<double>(total) : 0.0, secs, static_cast<double>(total) / secs,
      static_cast<double>(bytes) / 1e6 / secs, words.real_count(), tail_size);
  std::printf("reproduce: %s\n", reproduce.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "gen_corpus: %s\n", e.what());
  return 2;
}
