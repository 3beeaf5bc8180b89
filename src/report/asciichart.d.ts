/** Types for asciichart 1.5 (the package ships none). */
declare module 'asciichart' {
  export interface PlotConfig {
    min?: number;
    max?: number;
    offset?: number;
    padding?: string;
    height?: number;
    colors?: string[];
    symbols?: string[];
    format?: (x: number, i: number) => string;
  }
  export function plot(series: number[] | number[][], cfg?: PlotConfig): string;
  export const blue: string;
  export const red: string;
  export const green: string;
  export const yellow: string;
  export const magenta: string;
  export const cyan: string;
  export const reset: string;
  const asciichart: { plot: typeof plot; blue: string; red: string; green: string; yellow: string; magenta: string; cyan: string; reset: string };
  export default asciichart;
}
