// The Dashboard's canvas charts (chart.js through react-chartjs-2). Canvas
// drawing needs nothing the CSP forbids: chart.js sizes the canvas through the
// CSSOM (element.style), never a style attribute or <style> element. Colours
// come from the theme's CSS variables (--chart-*), re-read when the theme
// changes. Each chart is an image with an aria-label and comes with a table
// of the same numbers (the caller renders it), so nothing is canvas-only.

import { BarElement, CategoryScale, Chart as ChartJS, LinearScale, Tooltip, type ChartOptions } from 'chart.js';
import { useMemo } from 'react';
import { Bar } from 'react-chartjs-2';
import { useResolvedTheme } from '../components/ThemeToggle';

ChartJS.register(BarElement, CategoryScale, LinearScale, Tooltip);

export interface BarDatum {
  label: string;
  value: number;
  /** A theme variable, e.g. '--chart-hot'. */
  color: string;
}

function cssVariable(name: string, fallback: string): string {
  if (typeof document === 'undefined' || typeof getComputedStyle !== 'function') return fallback;
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

export function BarChart({
  data,
  label,
  formatValue,
  horizontal = false,
}: {
  data: BarDatum[];
  /** The chart's text alternative (aria-label): say what the bars show, with the figures. */
  label: string;
  formatValue(value: number): string;
  horizontal?: boolean;
}) {
  const theme = useResolvedTheme();

  const chartData = useMemo(
    () => ({
      labels: data.map((item) => item.label),
      datasets: [
        {
          data: data.map((item) => item.value),
          backgroundColor: data.map((item) => cssVariable(item.color, '#888888')),
          borderRadius: 4,
          maxBarThickness: 36,
        },
      ],
    }),
    // `theme` is a dependency on purpose: it changes what the variables resolve to.
    [data, theme],
  );

  const options = useMemo<ChartOptions<'bar'>>(() => {
    const text = cssVariable('--chart-text', '#5d636b');
    const grid = cssVariable('--chart-grid', '#e4e6e7');
    const valueAxis = {
      beginAtZero: true,
      ticks: { color: text, callback: (value: string | number) => formatValue(Number(value)), maxTicksLimit: 5 },
      grid: { color: grid },
      border: { display: false },
    };
    const categoryAxis = { ticks: { color: text }, grid: { display: false }, border: { color: grid } };
    return {
      indexAxis: horizontal ? 'y' : 'x',
      responsive: true,
      maintainAspectRatio: false,
      animation: prefersReducedMotion() ? false : { duration: 300 },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => formatValue(Number(item.raw)) } },
      },
      scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
    };
  }, [formatValue, horizontal, theme]);

  return (
    <div className="chart">
      <Bar data={chartData} options={options} role="img" aria-label={label} fallbackContent={<p>{label}</p>} />
    </div>
  );
}
