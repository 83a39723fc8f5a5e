// Effect rules the page applies to a finding's estimates: the minimal important difference (MID)
// the server judged the effect against, and the orientation of each study's effect for the forest
// plot (the server orients only the estimate; core/src/synthesis/estimate.cpp).
import { fmt } from './format.js';

// The MID on the finding's effect scale: { v: value, text } or null when there is none. For mean
// differences it is the server's (effect.mid: the source's own or the outcome's, GRADING.md);
// SMDs and ratios are drawn against the "moderate" threshold.
export function midOf(f) {
  const e = f.effect;
  if (!e) return null;
  if (e.measure === 'SMD') return { v: 0.5, text: 'MID 0.5 SMD' };
  if (e.scale === 'log') return { v: Math.log(1.25), text: `MID ratio 1.25` };
  if (typeof e.mid === 'number' && e.mid > 0) {
    return { v: e.mid, text: `MID ${fmt(e.mid, 1)}${e.scale === '0-100' ? '/100' : ''}` };
  }
  return null;
}

// Where an estimate y (95% CI lo to hi) lies against the MID m.
export function midVerdict(y, lo, hi, m) {
  if (lo >= m || hi <= -m) return 'whole CI beyond the MID';
  if (Math.abs(y) >= m) return 'estimate beyond the MID, CI includes smaller effects';
  if (hi < m && lo > -m) return 'whole CI within the MID: no important effect';
  return 'estimate below the MID, CI includes an important effect';
}

// Puts a study's effect on the finding's footing (positive favours the intervention), as the
// server does for the pooled estimate: { y, lo, hi, key: 'measure|scale' } or null.
export function orient(e, direction) {
  if (!e || typeof e.value !== 'number') return null;
  let y = e.value, lo = e.ci_low, hi = e.ci_high;
  const ci = typeof lo === 'number' && typeof hi === 'number';
  const flip = () => {
    [y, lo, hi] = [-y, ci ? -hi : lo, ci ? -lo : hi];
  };
  let scale;
  if (['RR', 'OR', 'HR'].includes(e.measure)) {
    if (y <= 0 || (ci && (lo <= 0 || hi <= 0))) return null;
    y = Math.log(y);
    if (ci) [lo, hi] = [Math.log(lo), Math.log(hi)];
    if (e.better !== 'higher') flip();
    scale = 'log';
  } else if (['MD', 'SMD', 'RD'].includes(e.measure)) {
    if (differenceFlips(e)) flip();
    scale = e.measure;
    if (e.measure === 'MD') {
      const span = typeof e.scale_min === 'number' && typeof e.scale_max === 'number' ? e.scale_max - e.scale_min : 0;
      if (span > 0) {
        const k = 100 / span;
        y *= k;
        if (ci) [lo, hi] = [lo * k, hi * k];
        scale = '0-100';
      } else scale = 'raw';
    }
  } else return null;
  if (ci && lo > hi) [lo, hi] = [hi, lo];
  const against = (direction === 'favours_intervention' && y < 0) || (direction === 'favours_comparator' && y > 0);
  if (!e.contrast && against) flip();
  return { y, lo: ci ? lo : null, hi: ci ? hi : null, key: e.measure + '|' + scale };
}

// Whether a difference (MD, SMD, RD) must change sign so that positive favours the intervention.
function differenceFlips(e) {
  if (e.contrast === 'improvement_difference') return false;
  if (e.contrast === 'comparator_minus_intervention') return e.better === 'higher';
  return e.better !== 'higher';
}
