// Live training chart: loss after every step and held-out accuracy after every epoch, on one
// step axis. Redraws at most once per animation frame, since steps can arrive faster than that.
import uPlot from '../node_modules/uplot/dist/uPlot.esm.js';

const HEIGHT = 240;

export class TrainingChart {
  /** @param {HTMLElement} container an empty element; its width sets the chart's width */
  constructor(container) {
    this.container = container;
    this.steps = [];
    this.losses = [];
    this.accuracies = [];
    this.plot = null;
    this.pending = false;
    // uPlot draws at a fixed pixel width, so it follows the container to fit narrow screens.
    this.resizeObserver = new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: HEIGHT }));
    this.resizeObserver.observe(container);
  }

  width() {
    return Math.max(240, Math.floor(this.container.clientWidth));
  }

  /** Starts an empty chart. */
  reset() {
    this.steps = [];
    this.losses = [];
    this.accuracies = [];
    this.plot?.destroy();
    this.plot = new uPlot(
      {
        width: this.width(),
        height: HEIGHT,
        // A little room above 100% keeps a perfect-accuracy point from being cut by the frame.
        scales: { x: { time: false }, loss: { auto: true }, accuracy: { auto: false, range: [0, 1.04] } },
        axes: [
          // Steps are whole numbers: no ticks between them.
          { label: 'step', stroke: '#374151', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000], values: (_, ticks) => ticks.map(String) },
          { scale: 'loss', label: 'loss', stroke: '#1d4ed8', size: 56 },
          {
            scale: 'accuracy',
            side: 1,
            label: 'accuracy',
            stroke: '#b45309',
            size: 56,
            grid: { show: false },
            values: (_, ticks) => ticks.map((v) => `${Math.round(v * 100)}%`),
          },
        ],
        series: [
          { label: 'step' },
          { label: 'training loss', scale: 'loss', stroke: '#1d4ed8', width: 2, value: (_, v) => (v == null ? '–' : v.toFixed(4)) },
          {
            label: 'held-out accuracy',
            scale: 'accuracy',
            stroke: '#b45309',
            width: 2,
            spanGaps: true,
            points: { show: true, size: 9, fill: '#b45309' },
            value: (_, v) => (v == null ? '–' : `${(v * 100).toFixed(1)}%`),
          },
        ],
      },
      [[], [], []],
      this.container,
    );
    this.publish();
  }

  /** Adds the loss of one optimisation step. */
  addStep(step, loss) {
    this.steps.push(step);
    this.losses.push(loss);
    this.accuracies.push(null);
    this.redraw();
  }

  /** Marks the held-out accuracy at the step where an epoch ended. */
  addEpoch(step, accuracy) {
    if (accuracy === undefined || accuracy === null) return;
    const at = this.steps.lastIndexOf(step);
    if (at >= 0) {
      this.accuracies[at] = accuracy;
    } else {
      this.steps.push(step);
      this.losses.push(null);
      this.accuracies.push(accuracy);
    }
    this.redraw();
  }

  redraw() {
    this.publish();
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.plot?.setData([this.steps, this.losses, this.accuracies]);
    });
  }

  // The point counts go on the element as data attributes: the end-to-end test reads them.
  publish() {
    this.container.dataset.points = String(this.losses.filter((v) => v !== null).length);
    this.container.dataset.accuracyPoints = String(this.accuracies.filter((v) => v !== null).length);
  }
}
