declare module 'multilang-sentiment' {
  interface SentimentResult {
    score: number;
    comparative: number;
    tokens: string[];
    words: string[];
    positive: string[];
    negative: string[];
  }
  function sentiment(phrase: string, language?: string, options?: { words?: Record<string, number>; tokens?: string[] }): SentimentResult;
  export = sentiment;
}
