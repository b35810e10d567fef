import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A chart rendered for a report: its Vega-Lite spec and the SVG drawn from it. */
export interface RenderedChart {
  id: string;
  title: string;
  /** One sentence under the title: what the chart shows and how to read it. */
  caption: string;
  spec: TopLevelSpec;
  svg: string;
}

/** A chart to render: the spec is complete, with its data inline. */
export interface ChartDefinition {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

/**
 * Compiles a Vega-Lite spec and renders it to SVG in this process, with no browser and no
 * network: the data is inline, and the headless renderer ('none') loads nothing.
 * Vega escapes the text it writes into the SVG (labels, titles, ARIA attributes).
 */
export async function renderChart(definition: ChartDefinition): Promise<RenderedChart> {
  const compiled = compile(definition.spec);
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return { ...definition, svg };
  } finally {
    view.finalize();
  }
}
