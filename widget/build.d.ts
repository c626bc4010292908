/** Replaced by the build (widget/build.mjs): chunk name -> its version (embed/NAME.js?v=VERSION). */
declare const KOMMENTAR_CHUNKS: Record<string, string> | undefined;
/** Replaced by the build in the actions and account chunks: language -> the words only that chunk says. */
declare const KOMMENTAR_WORDS: Record<string, Record<string, string>> | undefined;
