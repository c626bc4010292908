/** Replaced by the build (widget/build.mjs): chunk name -> its version (embed/NAME.js?v=VERSION). */
declare const KOMMENTAR_CHUNKS: Record<string, string> | undefined;
/** Replaced by the build in the actions chunk: language -> the words only the controls say. */
declare const KOMMENTAR_ACTION_WORDS: Record<string, Record<string, string>>;
