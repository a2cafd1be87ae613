// app.js — the page: DOM, settings, permalinks, the model card, the report (metre, rhyme,
// originality) and co-writing. No model math here, and no lyric rules: the worker (worker.js) owns the
// WebAssembly instance and the core does sampling, metre, rhyme and originality; it streams generated
// text back in chunks and answers with counts, spans and suggestions.
// Start-up runs in parallel: boot.js, the first script of the page, has already started the worker
// (which downloads the site's default model, compiles the wasm and loads the model by itself: load 1)
// and the request for models/index.json; this script takes them over. A permalink's song is sent to
// the worker at once and starts as soon as its model is loaded; another model than the one the worker
// started with is asked for once models/index.json is read. The model's facts and card are drawn after
// the song's first characters are on screen.
// Everything generated or read from a model file is inserted as text (textContent / text nodes); the
// originality marks are <mark> elements made with the DOM around existing text nodes.
'use strict';

(() => {
  const VERSION = '__SERCE_VERSION__';
  const MAX_MODEL_BYTES = 512 * 1024 * 1024;
  const MAX_SEED = 9007199254740991; // 2^53 - 1: seeds travel as doubles

  const params = new URLSearchParams(location.search);
  const boot = window.__serceBoot; // from boot.js: {worker, queue, index, model}

  // ---------------------------------------------------------------- strings
  const STR = {
    tr: {
      skip: 'Sözlere geç',
      tagline: 'Sezen Aksu tarzında şarkı sözü yazan küçük bir sinir ağı — tamamen tarayıcınızda.',
      langButton: 'English', langLabel: 'Switch to English',
      settings: 'Ayarlar',
      prime: 'İlk satır', primePlaceholder: 'ör. Bir serçe kondu pencereme',
      primeHint: 'Şarkı bu satırla başlar; ilk satır şarkının adıdır. Boş bırakırsanız hepsini model yazar. Enter: yaz · Shift+Enter: yeni satır · Esc: durdur.',
      temperature: 'Sıcaklık',
      temperatureHint: 'Düşük: tutarlı ve tekrarcı · yüksek: cesur ve tuhaf · 0: hep en olası harf.',
      length: 'Uzunluk', unit: 'Birim', unitSongs: 'şarkı', unitChars: 'karakter',
      seed: 'Tohum', dice: 'Rastgele tohum seç', autoSeed: 'Her seferinde yeni tohum',
      seedHint: 'Aynı tohum ve ayarlar her zaman aynı sözleri verir.',
      advanced: 'Gelişmiş', topK: 'Top-k (0 = kapalı)', topKHint: 'Yalnızca en olası k karakter arasından seç.',
      topP: 'Top-p (1 = kapalı)', topPHint: 'Olasılığın p kadarını tutan en küçük karakter kümesinden seç.',
      generate: 'Yaz', stop: 'Durdur',
      model: 'Model', chooseFile: 'Kendi modelini yükle…',
      dropHint: '…ya da “serce export” ile yazılmış bir .safetensors dosyasını sayfaya sürükleyin.',
      dropHere: 'Model dosyasını buraya bırakın',
      lyrics: 'Şarkı sözü',
      empty: 'Sözler burada belirecek. Bir ilk satır yazın ya da doğrudan “Yaz”a basın.',
      copyText: 'Metni kopyala', copyLink: 'Bağlantıyı kopyala', copied: 'Kopyalandı.', copyFailed: 'Kopyalanamadı.',
      permalink: 'Bu sözlerin kalıcı bağlantısı',
      permalinkOwn: '(kendi dosyanızla üretildi: bağlantı yalnızca model bu sitede varsa çalışır)',
      cli: 'Aynı sözleri komut satırında üretmek için:',
      status: 'Durum', size: 'Boyut', speed: 'Hız', charsPerSec: 'karakter/sn', engine: 'Motor',
      flavourSimd: 'WebAssembly SIMD', flavourPlain: 'WebAssembly (SIMD yok)',
      loadingWasm: 'WebAssembly yükleniyor…', downloading: 'Model indiriliyor… {p}', reading: 'Dosya okunuyor…',
      checking: 'Model denetleniyor…', ready: 'Model hazır.', writing: 'Yazıyor…',
      finished: 'Bitti: {n} karakter.', stopped: 'Durduruldu: {n} karakter.',
      ownModel: 'Kendi modeliniz: {name}',
      errLoad: '“{file}” model olarak yüklenemedi: {msg} Önceki model kullanılmaya devam ediyor.',
      errFetch: 'Model indirilemedi ({msg}).', errIndex: 'Model listesi okunamadı ({msg}).',
      errWasm: 'WebAssembly başlatılamadı: {msg}', errGen: 'Sözler üretilemedi: {msg}',
      errTooBig: 'Dosya çok büyük ({size}).', errNoModel: 'Henüz yüklü bir model yok.',
      errUnknownModel: 'Bağlantıdaki model ({name}) bu sitede yok; varsayılan model yüklendi.',
      errParam: 'Bağlantıdaki “{name}” ayarı geçersiz; sözler kendiliğinden yazılmadı.',
      errSeed: 'Tohum 0 ile 9007199254740991 arasında bir tam sayı olmalı.',
      errAmount: 'Uzunluk 1 ile {max} arasında bir tam sayı olmalı.',
      errTopK: 'Top-k 0 ya da pozitif bir tam sayı olmalı.', errTopP: 'Top-p 0’dan büyük ve en çok 1 olmalı.',
      card: 'Model kartı', noTraining: 'Bu model dosyasında eğitim kaydı yok.',
      cardSummary: 'Bu modelin ne olduğu: neyle, ne kadar eğitildiği ve hiç görmediği şarkılarda ne kadar iyi olduğu.',
      fCorpus: 'Derlem', fCorpusVal: '{name}: {songs} şarkı, {chars} karakter (sözlerin kendisi modelde yok)',
      fSplit: 'Bölünme', fSplitVal: '{train} şarkıyla eğitildi, {val} şarkı doğrulama için ayrıldı',
      fShape: 'Yapı', fShapeVal: '{L} katmanlı LSTM, her katman {H} birim; gömme {E}, sözlük {V} karakter{lc}',
      fLower: ' (küçük harfe çevrilmiş)',
      fParams: 'Parametre', fFile: 'Dosya', nParams: '{n} parametre',
      fTraining: 'Eğitim', fTrainingVal: '{steps} adım, {epochs} tur, {time}',
      fVal: 'Doğrulama', fValVal: '{bpc} bit/karakter (en iyi adım: {best})', fMethod: 'Nasıl ölçüldü',
      fDate: 'Tarih', fCommand: 'Komut', fKernels: 'Çekirdekler', fCard: 'Not',
      valMethod: 'Eğitimde hiç görülmemiş bütün şarkılar (sabit bir karma ile ayrılır); her şarkı sıfır durumdan okunur; '
        + 'tahmin edilen karakter başına bit (başlık, başlık sonu, sözler, şarkı sonu).',
      minutes: '{n} dakika', seconds: '{n} saniye',
      curveCaption: 'Eğitim eğrisi: karakter başına bit (düşük daha iyi).',
      curveLabel: 'Eğitim eğrisi: adımlara göre eğitim ve doğrulama bit/karakter değerleri',
      curveTrain: 'eğitim', curveVal: 'doğrulama', curveStep: 'adım', curveBpc: 'bit/kar.',
      privacy: 'Serçe tarayıcınızda çalışır; yazdığınız hiçbir şey bir yere gönderilmez.',
      build: 'Sürüm', offlineReady: 'Çevrimdışı da çalışır.',
      songForm: 'Şarkı biçimi', form: 'Biçim', formFree: 'serbest', custom: 'özel…', none: 'yok',
      formCustom: 'Özel biçim', formPlaceholder: 'ör. K4 N2 K4 N2 B2 N2',
      formHint: 'K = kıta, N = nakarat (her dönüşünde aynen tekrarlanır), B = köprü. Serbest: şarkının düzenini model kurar.',
      lines: 'Kıta başına satır',
      syllables: 'Hece ölçüsü', syl7: '7 hece', syl8: '8 hece', syl11: '11 hece (6+5)', syl14: '14 hece (7+7)',
      syllablesCustom: 'Özel hece ölçüsü', syllablesPlaceholder: 'ör. 8 · 7,7,7,5 · 4+4+3',
      syllablesHint: 'Her satırın hece sayısı. “6+5”: altıncı heceden sonra durak (orada kelime biter); “7,7,7,5”: satır satır.',
      rhyme: 'Kafiye düzeni', rhymeCustom: 'Özel kafiye düzeni', rhymePlaceholder: 'ör. ABAB (X = serbest satır)',
      rhymeHint: 'Her kıtada aynı harfli satırlar kafiyeli olur; X serbest satırdır.',
      repetition: 'Tekrarları azalt', repetitionHint: 'Uzun tekrarları bastırır; kelimeler ve kısa sözler serbest kalır.',
      avoidCopying: 'Eğitimdeki şarkılardan kopyalama',
      avoidHint: 'Eğitim şarkılarındaki bir dizeyi aynen sürdürecek harfleri geri çevirir.',
      avoidNoIndex: 'Bu modelde özgünlük dizini yok: kopya önleme ve özgünlük ölçümü kullanılamıyor.',
      penalty: 'Tekrar cezası', penaltyHint: '“Tekrarları azalt” açıkken ne kadar bastırılacağı (1 = hiç; 1.2 önerilir).',
      errPenalty: 'Tekrar cezası 1 ile 100 arasında olmalı.', errLines: 'Kıta başına satır 1 ile 32 arasında bir tam sayı olmalı.',
      errTooLong: '“{name}” çok uzun.',
      reportRhyme: '{met}/{n} kafiye tuttu', reportMetreN: '{met}/{n} satır {s} hece', reportMetreP: '{met}/{n} satır {s} ölçüsünde',
      reportSearch: '{n} aday satır denendi', reportBans: 'kopya önleme {n} harfi geri çevirdi',
      novelty: '%{p} yeni', noveltyMarks: 'İşaretli yerler eğitimdeki şarkılarda aynen geçiyor.',
      noveltyClean: 'Eğitimdeki şarkılarla {n} harflik ortak bir parçası yok.', markTitle: 'Eğitimdeki şarkılarda aynen geçiyor',
      noIndex: 'Bu modelde özgünlük dizini yok; sözlerin ne kadar yeni olduğu ölçülemedi.',
      cowrite: 'Birlikte yaz', cowriteLabel: 'Şarkı sözü (düzenlenebilir)', cowritePlaceholder: 'Buraya yazın…',
      continue: 'İmleçten devam et', until: 'Ne kadar:', untilLine: 'bir satır', untilSong: 'şarkının sonuna dek',
      cowriteHint: 'Yazın, düzeltin, imleci istediğiniz yere koyun: Serçe oradan sürdürür. Ctrl+Enter: devam et · Esc: durdur.',
      nextChars: 'Sıradaki harf', nextWords: 'Sıradaki kelime', sugEnd: 'şarkı biter', sugTitleEnd: 'başlık biter',
      sugInsert: '“{s}” ekle ({p})', sugError: 'Öneri yok: {msg}', edited: 'Sözler elle değişti; bağlantı ve komut son üretilen sözleri vermez.',
    },
    en: {
      skip: 'Skip to the lyrics',
      tagline: 'A small neural network that writes lyrics in the style of Sezen Aksu — entirely in your browser.',
      langButton: 'Türkçe', langLabel: 'Türkçeye geç',
      settings: 'Settings',
      prime: 'First line', primePlaceholder: 'e.g. Bir serçe kondu pencereme',
      primeHint: 'The song starts with this line; the first line is the song’s title. Leave it empty and the model writes it all. Enter: write · Shift+Enter: new line · Esc: stop.',
      temperature: 'Temperature',
      temperatureHint: 'Low: safe and repetitive · high: bold and strange · 0: always the likeliest letter.',
      length: 'Length', unit: 'Unit', unitSongs: 'songs', unitChars: 'characters',
      seed: 'Seed', dice: 'Pick a random seed', autoSeed: 'New seed every time',
      seedHint: 'The same seed and settings always give the same lyrics.',
      advanced: 'Advanced', topK: 'Top-k (0 = off)', topKHint: 'Sample only among the k likeliest characters.',
      topP: 'Top-p (1 = off)', topPHint: 'Sample from the smallest set of characters holding p of the probability.',
      generate: 'Write', stop: 'Stop',
      model: 'Model', chooseFile: 'Load your own model…',
      dropHint: '…or drop a .safetensors file written by “serce export” onto the page.',
      dropHere: 'Drop the model file here',
      lyrics: 'Lyrics',
      empty: 'The lyrics will appear here. Type a first line or just press “Write”.',
      copyText: 'Copy text', copyLink: 'Copy link', copied: 'Copied.', copyFailed: 'Could not copy.',
      permalink: 'Permalink to these lyrics',
      permalinkOwn: '(written with your own file: the link works only where that model is hosted)',
      cli: 'The same lyrics on the command line:',
      status: 'Status', size: 'Size', speed: 'Speed', charsPerSec: 'chars/s', engine: 'Engine',
      flavourSimd: 'WebAssembly SIMD', flavourPlain: 'WebAssembly (no SIMD)',
      loadingWasm: 'Loading WebAssembly…', downloading: 'Downloading the model… {p}', reading: 'Reading the file…',
      checking: 'Checking the model…', ready: 'Model ready.', writing: 'Writing…',
      finished: 'Done: {n} characters.', stopped: 'Stopped: {n} characters.',
      ownModel: 'Your own model: {name}',
      errLoad: '“{file}” could not be loaded as a model: {msg} The previous model is still in use.',
      errFetch: 'The model could not be downloaded ({msg}).', errIndex: 'The model list could not be read ({msg}).',
      errWasm: 'WebAssembly could not start: {msg}', errGen: 'No lyrics: {msg}',
      errTooBig: 'The file is too large ({size}).', errNoModel: 'No model is loaded yet.',
      errUnknownModel: 'The model in the link ({name}) is not on this site; the default model was loaded.',
      errParam: 'The setting “{name}” in the link is not valid, so nothing was written automatically.',
      errSeed: 'The seed must be a whole number from 0 to 9007199254740991.',
      errAmount: 'The length must be a whole number from 1 to {max}.',
      errTopK: 'Top-k must be 0 or a positive whole number.', errTopP: 'Top-p must be above 0 and at most 1.',
      card: 'Model card', noTraining: 'This model file has no training record.',
      cardSummary: 'What this model is: what it was trained on, for how long, and how well it does on songs it never saw.',
      fCorpus: 'Corpus', fCorpusVal: '{name}: {songs} songs, {chars} characters (the lyrics themselves are not in the model)',
      fSplit: 'Split', fSplitVal: 'trained on {train} songs, {val} songs held out for validation',
      fShape: 'Shape', fShapeVal: '{L}-layer LSTM of {H} units; embedding {E}, vocabulary {V} characters{lc}',
      fLower: ' (lower-cased)',
      fParams: 'Parameters', fFile: 'File', nParams: '{n} parameters',
      fTraining: 'Training', fTrainingVal: '{steps} steps, {epochs} epochs, {time}',
      fVal: 'Validation', fValVal: '{bpc} bits per character (best step: {best})', fMethod: 'How it was measured',
      fDate: 'Date', fCommand: 'Command', fKernels: 'Kernels', fCard: 'Note',
      valMethod: 'Whole songs never seen in training (held out by a fixed hash split); each read from a zero state; '
        + 'bits per predicted character (title, title end, lyrics, song end).',
      minutes: '{n} minutes', seconds: '{n} seconds',
      curveCaption: 'Training curve: bits per character (lower is better).',
      curveLabel: 'Training curve: training and validation bits per character by step',
      curveTrain: 'training', curveVal: 'validation', curveStep: 'step', curveBpc: 'bits/char',
      privacy: 'Serçe runs in your browser; nothing you type is sent anywhere.',
      build: 'Build', offlineReady: 'Works offline too.',
      songForm: 'Song form', form: 'Form', formFree: 'free', custom: 'custom…', none: 'none',
      formCustom: 'Custom form', formPlaceholder: 'e.g. K4 N2 K4 N2 B2 N2',
      formHint: 'K = verse (kıta), N = chorus (nakarat, repeated word for word), B = bridge. Free: the model lays the song out.',
      lines: 'Lines per stanza',
      syllables: 'Syllables per line (hece)', syl7: '7 syllables', syl8: '8 syllables', syl11: '11 syllables (6+5)', syl14: '14 syllables (7+7)',
      syllablesCustom: 'Custom syllable pattern', syllablesPlaceholder: 'e.g. 8 · 7,7,7,5 · 4+4+3',
      syllablesHint: 'Syllables in each line. “6+5”: a pause (durak) after the sixth syllable, where a word ends; “7,7,7,5”: line by line.',
      rhyme: 'Rhyme scheme', rhymeCustom: 'Custom rhyme scheme', rhymePlaceholder: 'e.g. ABAB (X = free line)',
      rhymeHint: 'In each stanza, lines with the same letter rhyme; X is a free line.',
      repetition: 'Fewer repeats', repetitionHint: 'Damps long repeats; words and short phrases stay free.',
      avoidCopying: 'Do not copy the training songs',
      avoidHint: 'Refuses letters that would continue a line of the training songs word for word.',
      avoidNoIndex: 'This model has no originality index: copy avoidance and the originality meter are not available.',
      penalty: 'Repetition penalty', penaltyHint: 'How strongly “Fewer repeats” damps (1 = not at all; 1.2 suggested).',
      errPenalty: 'The repetition penalty must be from 1 to 100.', errLines: 'Lines per stanza must be a whole number from 1 to 32.',
      errTooLong: '“{name}” is too long.',
      reportRhyme: '{met}/{n} rhymes met', reportMetreN: '{met}/{n} lines of {s} syllables', reportMetreP: '{met}/{n} lines in {s} metre',
      reportSearch: '{n} candidate lines tried', reportBans: 'letters refused by copy avoidance: {n}',
      novelty: '{p}% new', noveltyMarks: 'The marked parts occur word for word in the training songs.',
      noveltyClean: 'No stretch of {n} letters in common with the training songs.', markTitle: 'Occurs word for word in the training songs',
      noIndex: 'This model has no originality index, so how new the lyrics are could not be measured.',
      cowrite: 'Write together', cowriteLabel: 'Lyrics (editable)', cowritePlaceholder: 'Write here…',
      continue: 'Continue from the cursor', until: 'How much:', untilLine: 'one line', untilSong: 'to the end of the song',
      cowriteHint: 'Type, edit, put the cursor anywhere: Serçe goes on from there. Ctrl+Enter: continue · Esc: stop.',
      nextChars: 'Next letter', nextWords: 'Next word', sugEnd: 'song ends', sugTitleEnd: 'title ends',
      sugInsert: 'insert “{s}” ({p})', sugError: 'No suggestions: {msg}', edited: 'The lyrics were edited; the link and the command give the last generated lyrics.',
    },
  };

  const $ = (id) => document.getElementById(id);
  const el = {};
  for (const id of ['lang', 'form', 'prime', 'temperature', 'temperature-out', 'amount', 'unit', 'seed', 'dice',
    'auto-seed', 'advanced', 'top-k', 'top-p', 'generate', 'stop', 'model-select', 'model-file', 'error', 'lyrics',
    'copy-text', 'copy-link', 'copied', 'share', 'permalink', 'permalink-note', 'cli', 'load-progress', 'load-text',
    'model-name', 'model-size', 'speed', 'flavour', 'kernel', 'card-summary', 'card-facts', 'curve-figure', 'curve',
    'offline', 'drop-overlay', 'sheet', 'form-preset', 'form-custom', 'lines', 'syllables-preset', 'syllables-custom',
    'rhyme-preset', 'rhyme-custom', 'repetition', 'penalty', 'avoid-copying', 'avoid-hint', 'cowrite-toggle', 'cowrite',
    'cowrite-panel', 'continue', 'until', 'suggest', 'suggest-chars', 'suggest-words', 'suggest-note', 'report', 'report-craft',
    'report-orig']) el[id] = $(id);

  let lang = 'tr';
  try {
    const saved = localStorage.getItem('serce.lang');
    if (saved === 'en' || saved === 'tr') lang = saved;
  } catch (e) { /* storage may be blocked: Turkish */ }

  // vars: values, or functions giving them in the current language (for texts shown again after a language switch)
  function t(key, vars) {
    let s = (STR[lang] && STR[lang][key]) || STR.tr[key] || key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(typeof vars[k] === 'function' ? vars[k]() : vars[k]) : m));
    return s;
  }
  const locale = () => (lang === 'tr' ? 'tr-TR' : 'en-GB');
  const formatters = new Map();
  function numberFormat(d) {
    const key = `${lang}:${d}`;
    if (!formatters.has(key))
      formatters.set(key, new Intl.NumberFormat(locale(), d === undefined ? {} : { minimumFractionDigits: d, maximumFractionDigits: d }));
    return formatters.get(key);
  }
  const fmtInt = (n) => numberFormat().format(Math.round(n));
  const fmtNum = (n, d) => numberFormat(d).format(n);
  function fmtBytes(n) {
    if (!(n >= 0)) return '—';
    if (n < 1024) return `${fmtInt(n)} B`;
    if (n < 1024 * 1024) return `${fmtNum(n / 1024, 1)} KB`;
    return `${fmtNum(n / 1048576, 1)} MB`;
  }

  // ---------------------------------------------------------------- state
  const S = {
    worker: null,
    flavour: null,
    ready: false,          // the wasm module runs
    index: null,           // models/index.json
    model: null,           // {file, name, size, info, own}
    loadSeq: 0,
    gen: null,             // {id, params, song, chars, ms, live}
    genSeq: 0,
    lastParams: null,      // of the lyrics on screen
    auto: null,            // settings from a permalink, generated once the model is ready
    dynamic: [],           // [fn] re-run on language change
    status: null,          // [key, vars] of the load/generation status line
    error: null,           // [key, vars] of the error banner
    fatal: false,          // the wasm did not start
    autoSeq: 0,            // the model load a permalink's song was sent with
    factsDue: false,       // that model's facts and card wait for the song's first text to be painted
    avoidTouched: false,   // the user (or a permalink) chose "avoid copying"; a new model does not reset it
    report: null,          // {params, stats, orig} of the lyrics on screen
    origSeq: 0,
    cowrite: false,        // co-writing: the lyrics are an editable textarea
    edited: false,         // the text on screen is no longer what lastParams generate
    sugSeq: 0, sugBusy: false, sugWant: null,
  };

  // ---------------------------------------------------------------- language
  function applyLang() {
    document.documentElement.lang = lang;
    for (const n of document.querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
    for (const n of document.querySelectorAll('[data-i18n-placeholder]')) n.placeholder = t(n.dataset.i18nPlaceholder);
    for (const n of document.querySelectorAll('[data-i18n-aria-label]')) n.setAttribute('aria-label', t(n.dataset.i18nAriaLabel));
    for (const n of document.querySelectorAll('[data-i18n-title]')) n.title = t(n.dataset.i18nTitle);
    for (const n of document.querySelectorAll('[data-i18n-data-empty]')) n.dataset.empty = t(n.dataset.i18nDataEmpty);
    el.lang.textContent = t('langButton');
    el.lang.setAttribute('aria-label', t('langLabel'));
    el.lang.lang = lang === 'tr' ? 'en' : 'tr';
    renderStatus();
    renderError();
    renderModelFacts();
    renderCard();
    renderShare();
    renderReport();
    renderAvoid();
    if (S.sugItems) renderSuggestions();
    for (const m of el.lyrics.querySelectorAll('mark')) m.title = t('markTitle');
    if (S.offlineReady) el.offline.textContent = t('offlineReady');
  }
  el.lang.addEventListener('click', () => {
    lang = lang === 'tr' ? 'en' : 'tr';
    try { localStorage.setItem('serce.lang', lang); } catch (e) { /* not remembered */ }
    applyLang();
  });

  // ---------------------------------------------------------------- messages to the user
  // the banner keeps its key and values, so a language switch translates it again
  function showError(key, vars) {
    S.error = [key, vars];
    renderError();
  }
  function clearError() {
    S.error = null;
    renderError();
  }
  function renderError() {
    el.error.textContent = S.error ? t(S.error[0], S.error[1]) : '';
    el.error.hidden = !S.error;
  }
  function setStatus(key, vars) {
    S.status = key ? [key, vars] : null;
    renderStatus();
  }
  function renderStatus() {
    el['load-text'].textContent = S.status ? t(S.status[0], S.status[1]) : '';
  }
  function setProgress(loaded, total) {
    const p = el['load-progress'];
    if (total > 0) {
      p.max = total;
      p.value = Math.min(loaded, total);
    } else {
      p.removeAttribute('value'); // indeterminate
    }
  }

  // ---------------------------------------------------------------- the worker
  // the worker boot.js started; the messages it sent meanwhile are handled first
  function attachWorker() {
    setStatus('loadingWasm');
    setProgress(0, 0);
    if (!boot) {
      onWorker({ type: 'fatal', message: 'boot.js did not run' });
      return;
    }
    S.worker = boot.worker;
    S.worker.onmessage = (ev) => onWorker(ev.data);
    S.worker.onerror = (ev) => {
      ev.preventDefault();
      showError('errWasm', { msg: ev.message || 'worker error' });
    };
    if (boot.model) {
      // the worker's own first load; a permalink's song goes to it now, to run once that model is loaded
      // (the model's description comes after its first text), else the description is wanted at once
      S.loadSeq = 1;
      setStatus('downloading', { p: '0%' });
      const run = autoRun(boot.model, 1);
      S.worker.postMessage(run ? { type: 'generate', ...run } : { type: 'describe' });
    }
    for (const m of boot.queue.splice(0)) onWorker(m);
  }

  function onWorker(m) {
    switch (m.type) {
      case 'ready':
        S.ready = true;
        S.flavour = m.flavour;
        el.flavour.textContent = m.flavour;
        el.flavour.title = t(m.flavour === 'simd' ? 'flavourSimd' : 'flavourPlain');
        break;
      case 'fatal':
        S.fatal = true;
        S.loadSeq++; // a download under way is dropped
        S.gen = null; // a permalink's song waiting for the model will not come
        showError('errWasm', { msg: m.message });
        setStatus(null);
        setProgress(0, 1);
        updateButtons();
        break;
      case 'progress':
        if (m.seq !== S.loadSeq) break;
        setProgress(m.loaded, m.total);
        if (m.total && m.loaded >= m.total) setStatus('checking');
        else setStatus('downloading', { p: m.total ? `${Math.floor((100 * m.loaded) / m.total)}%` : fmtBytes(m.loaded) });
        break;
      case 'model': onModel(m); break;
      case 'loadError': onLoadError(m); break;
      case 'chunk': onChunk(m); break;
      case 'done': onDone(m); break;
      case 'originality': onOriginality(m); break;
      case 'suggest': onSuggest(m); break;
      case 'genError':
        if (!S.gen || m.id !== S.gen.id) break;
        if (S.gen.cowrite) el.cowrite.readOnly = false;
        S.gen = null;
        showError('errGen', { msg: m.message });
        setStatus('ready');
        updateButtons();
        break;
      default: break;
    }
  }

  // ---------------------------------------------------------------- models
  // boot.js requested models/index.json
  async function loadIndex() {
    if (!boot) return; // the banner says so (attachWorker)
    try {
      const idx = await boot.index;
      if (!idx || !Array.isArray(idx.models) || !idx.models.length) throw new Error('no models');
      S.index = idx;
    } catch (e) {
      showError('errIndex', { msg: e.message });
      setStatus(null);
      return;
    }
    if (S.fatal) return;
    el['model-select'].replaceChildren();
    for (const m of S.index.models) {
      const o = document.createElement('option');
      o.value = m.file;
      o.textContent = m.name || m.file;
      el['model-select'].append(o);
    }
    let want = S.index.default;
    const asked = params.get('model');
    if (asked !== null) {
      if (S.index.models.some((m) => m.file === asked)) want = asked;
      else {
        showError('errUnknownModel', { name: asked });
        S.auto = null;
      }
    }
    syncModelSelect();
    if (S.model && !S.factsDue) renderModelFacts(); // the list's name for the model
    // unless the worker's first load is that model, or a model was asked for since (a file of one's own)
    if (want === boot.model || S.loadSeq !== (boot.model ? 1 : 0)) return;
    fetchModel(want);
  }

  function indexEntry(file) {
    return (S.index && S.index.models.find((m) => m.file === file)) || { file, name: file };
  }

  // a model of the site: the worker downloads it (with progress) and loads it; a newer load drops it
  function fetchModel(file) {
    const entry = indexEntry(file);
    const seq = ++S.loadSeq;
    setProgress(0, entry.size || 0);
    setStatus('downloading', { p: '0%' });
    const run = autoRun(file, seq);
    updateButtons();
    S.worker.postMessage({ type: 'fetchModel', seq, url: `models/${encodeURIComponent(file)}`, file, name: entry.name || file,
      size: entry.size || 0, run });
  }

  // a permalink's song, to start in the worker as soon as load seq has loaded file (no round trip here)
  function autoRun(file, seq) {
    if (!S.auto) return undefined;
    const p = { ...S.auto, model: file, own: false };
    S.auto = null;
    S.autoSeq = seq;
    return { id: beginRun(p, seq), prime: p.prime, settings: settingsOf(p) };
  }

  function onLoadError(m) {
    if (m.seq !== S.loadSeq) return;
    if (S.gen && S.gen.loadSeq === m.seq) {
      S.gen = null; // the permalink's song that was to start with this model
      el.lyrics.replaceChildren();
    }
    setProgress(S.model ? 1 : 0, 1);
    setStatus(S.model ? 'ready' : null);
    if (m.phase === 'download') showError('errFetch', { msg: m.message });
    else showError('errLoad', { file: m.file || '?', msg: `${String(m.message).replace(/[.\s]+$/, '')}.` });
    syncModelSelect();
    updateButtons();
  }

  async function loadFile(file) {
    if (!file || S.fatal) return; // without the wasm no file can be checked (the banner says so)
    clearError();
    if (file.size > MAX_MODEL_BYTES) {
      showError('errLoad', { file: file.name, msg: () => t('errTooBig', { size: fmtBytes(file.size) }) });
      return;
    }
    const seq = ++S.loadSeq;
    setStatus('reading');
    setProgress(0, 0);
    let buf;
    try {
      buf = await file.arrayBuffer();
    } catch (e) {
      if (seq === S.loadSeq) showError('errLoad', { file: file.name, msg: `${e.message}.` });
      return;
    }
    if (seq !== S.loadSeq) return;
    setStatus('checking');
    S.worker.postMessage({ type: 'loadBytes', seq, bytes: buf, file: file.name, name: file.name, own: true }, [buf]);
  }

  // a load a permalink's song went with (S.autoSeq): the worker started the song with the model and
  // posted its first text before this message
  function onModel(m) {
    if (m.seq !== S.loadSeq) return;
    const withRun = S.autoSeq === m.seq;
    if (S.gen && S.gen.loadSeq !== m.seq) stopGeneration(); // the worker stopped it when it swapped models
    S.model = { file: m.file, name: m.name, size: m.size, info: m.info, own: !!m.own };
    setProgress(1, 1);
    if (!withRun) setStatus('ready'); // else the song's status stands
    syncModelSelect();
    // with a run, the facts and the card after its first text has been painted: the page's first number
    // formatting loads the locale's data (tens of ms), and the card needs a layout and draws the curve
    if (withRun) {
      S.factsDue = true;
      requestAnimationFrame(() => setTimeout(() => {
        S.factsDue = false;
        renderModelFacts();
        renderCard();
        revealSheet();
      }, 0));
    } else {
      renderModelFacts();
      renderCard();
    }
    if (!S.avoidTouched) el['avoid-copying'].checked = hasIndex();
    renderAvoid();
    if (S.cowrite) {
      S.sugPrime = null; // suggestions of the new model
      requestSuggestions();
    }
    updateButtons();
    el.kernel.textContent = `(${m.info.kernels.matvec})`;
    // a permalink's song so short that it ended before this message: its originality now
    if (withRun && !S.gen && S.report && S.report.orig === undefined) requestOriginality();
  }

  function syncModelSelect() {
    const sel = el['model-select'];
    let own = sel.querySelector('option[data-own]');
    if (S.model && S.model.own) {
      if (!own) {
        own = document.createElement('option');
        own.dataset.own = '1';
        sel.append(own);
      }
      own.value = `own:${S.model.file}`;
      own.textContent = t('ownModel', { name: S.model.name });
      sel.value = own.value;
    } else if (S.model) {
      sel.value = S.model.file;
    }
  }

  el['model-select'].addEventListener('change', () => {
    const v = el['model-select'].value;
    if (v.startsWith('own:')) return;
    if (S.model && !S.model.own && S.model.file === v) return;
    clearError();
    fetchModel(v);
  });
  el['model-file'].addEventListener('change', () => {
    const f = el['model-file'].files && el['model-file'].files[0];
    loadFile(f);
    el['model-file'].value = '';
  });

  // drag and drop anywhere on the page
  let dragDepth = 0;
  const hasFiles = (ev) => ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes('Files');
  document.addEventListener('dragenter', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    dragDepth++;
    el['drop-overlay'].hidden = false;
  });
  document.addEventListener('dragover', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('dragleave', (ev) => {
    if (!hasFiles(ev)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) el['drop-overlay'].hidden = true;
  });
  document.addEventListener('drop', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    dragDepth = 0;
    el['drop-overlay'].hidden = true;
    loadFile(ev.dataTransfer.files[0]);
  });

  function renderModelFacts() {
    if (!S.model) return;
    // the worker's first load has no name: the list's, once it is read
    const name = S.model.name || indexEntry(S.model.file).name || S.model.file;
    el['model-name'].textContent = S.model.own ? t('ownModel', { name }) : name;
    el['model-size'].textContent = `${fmtBytes(S.model.size)} · ${t('nParams', { n: fmtInt(S.model.info.parameters) })}`;
  }

  // ---------------------------------------------------------------- settings
  function randomSeed() {
    const a = new Uint32Array(1);
    crypto.getRandomValues(a);
    return 1 + (a[0] % 999999999);
  }
  function syncTemperature() { el['temperature-out'].textContent = String(Number(el.temperature.value)); }
  el.temperature.addEventListener('input', syncTemperature);
  el.dice.addEventListener('click', () => {
    el.seed.value = String(randomSeed());
  });
  el.seed.addEventListener('input', () => { el['auto-seed'].checked = false; });
  el.unit.addEventListener('change', () => {
    if (el.unit.value === 'songs') {
      el.amount.max = '20';
      if (!(Number(el.amount.value) <= 20)) el.amount.value = '1';
    } else {
      el.amount.max = '20000';
      if (!(Number(el.amount.value) >= 20)) el.amount.value = '600';
    }
  });

  const isInt = (s) => /^\d+$/.test(String(s).trim());
  const utf8Len = (s) => new TextEncoder().encode(s).length;

  // the song-shape selects: a preset value, or "custom" with a text field
  const PRESETS = [['form', 127], ['syllables', 127], ['rhyme', 31]];
  function presetValue(name) {
    const sel = el[`${name}-preset`];
    return sel.value === 'custom' ? el[`${name}-custom`].value.trim() : sel.value;
  }
  function setPreset(name, value) {
    const sel = el[`${name}-preset`], custom = el[`${name}-custom`];
    const known = [...sel.options].some((o) => o.value === value && o.value !== 'custom');
    sel.value = known ? value : 'custom';
    custom.value = known ? '' : value;
    syncPreset(name);
  }
  function syncPreset(name) {
    el[`${name}-custom`].hidden = el[`${name}-preset`].value !== 'custom';
    if (name === 'form') el.lines.disabled = el['form-preset'].value === '';
  }
  for (const [name] of PRESETS) {
    el[`${name}-preset`].addEventListener('change', () => {
      syncPreset(name);
      if (el[`${name}-preset`].value === 'custom') el[`${name}-custom`].focus();
    });
  }
  el['avoid-copying'].addEventListener('change', () => { S.avoidTouched = true; });

  const hasIndex = () => !!(S.model && S.model.info && S.model.info.originality);
  function renderAvoid() {
    const box = el['avoid-copying'];
    const none = !!S.model && !hasIndex();
    box.disabled = none;
    if (none) box.checked = false;
    el['avoid-hint'].textContent = t(none ? 'avoidNoIndex' : 'avoidHint');
  }

  // settings from the controls; null (and an error shown) if one is out of range
  function readControls() {
    const seedS = el.seed.value.trim();
    if (!isInt(seedS) || Number(seedS) > MAX_SEED) return showError('errSeed'), el.seed.focus(), null;
    const unit = el.unit.value === 'length' ? 'length' : 'songs';
    const max = unit === 'songs' ? 20 : 20000;
    const amountS = el.amount.value.trim();
    if (!isInt(amountS) || Number(amountS) < 1 || Number(amountS) > max)
      return showError('errAmount', { max }), el.amount.focus(), null;
    const topK = el['top-k'].value.trim();
    if (!isInt(topK)) return (el.advanced.open = true), showError('errTopK'), el['top-k'].focus(), null;
    const topP = Number(el['top-p'].value);
    if (!(topP > 0 && topP <= 1)) return (el.advanced.open = true), showError('errTopP'), el['top-p'].focus(), null;
    const linesS = el.lines.value.trim();
    if (!isInt(linesS) || Number(linesS) < 1 || Number(linesS) > 32) return showError('errLines'), el.lines.focus(), null;
    const pen = Number(el.penalty.value);
    if (el.repetition.checked && !(pen >= 1 && pen <= 100))
      return (el.advanced.open = true), showError('errPenalty'), el.penalty.focus(), null;
    const shape = {};
    for (const [name, cap] of PRESETS) {
      shape[name] = presetValue(name);
      if (utf8Len(shape[name]) > cap) return showError('errTooLong', { name: () => t(name) }), el[`${name}-custom`].focus(), null;
    }
    return {
      model: S.model.file,
      own: S.model.own,
      prime: el.prime.value,
      seed: Number(seedS),
      temperature: Number(el.temperature.value),
      top_k: Number(topK),
      top_p: topP,
      unit,
      amount: Number(amountS),
      form: shape.form,
      lines_per_stanza: Number(linesS),
      syllables: shape.syllables,
      rhyme: shape.rhyme,
      repetition_penalty: el.repetition.checked ? pen : 1,
      avoid_copying: el['avoid-copying'].checked && !el['avoid-copying'].disabled,
    };
  }

  function writeControls(p) {
    el.prime.value = p.prime;
    el.seed.value = String(p.seed);
    el.temperature.value = String(p.temperature);
    syncTemperature();
    el['top-k'].value = String(p.top_k);
    el['top-p'].value = String(p.top_p);
    el.unit.value = p.unit;
    el.amount.max = p.unit === 'songs' ? '20' : '20000';
    el.amount.value = String(p.amount);
    setPreset('form', p.form);
    el.lines.value = String(p.lines_per_stanza);
    setPreset('syllables', p.syllables);
    setPreset('rhyme', p.rhyme);
    el.repetition.checked = p.repetition_penalty > 1;
    if (p.repetition_penalty > 1) el.penalty.value = String(p.repetition_penalty);
    el['avoid-copying'].checked = p.avoid_copying;
    if (p.top_k !== 0 || p.top_p !== 0.95 || (p.repetition_penalty > 1 && p.repetition_penalty !== 1.2)) el.advanced.open = true;
  }

  // The core's settings (serce_gen_opts_from_json) for p: what the worker starts, and what
  // `serce sample` is given by the command the page shows.
  function settingsOf(p) {
    return {
      seed: p.seed, temperature: p.temperature, top_k: p.top_k, top_p: p.top_p,
      length: p.unit === 'length' ? p.amount : 0, songs: p.unit === 'songs' ? p.amount : 0,
      form: p.form, lines_per_stanza: p.lines_per_stanza, syllables: p.syllables, rhyme: p.rhyme,
      repetition_penalty: p.repetition_penalty, avoid_copying: p.avoid_copying,
    };
  }

  // Settings from the address (a permalink): {params} or {error: name}; null when there are none.
  // A setting the link does not name is off (repetition_penalty 1, no form, ...), whatever the page's
  // defaults are, so links made before these settings existed still give the same lyrics.
  const LINK_KEYS = ['prime', 'seed', 'temperature', 'top_k', 'top_p', 'length', 'songs', 'form', 'lines_per_stanza',
    'syllables', 'rhyme', 'repetition_penalty', 'avoid_copying'];
  function readPermalink() {
    if (!LINK_KEYS.some((k) => params.has(k))) return null;
    const p = { prime: params.get('prime') || '', seed: 1, temperature: 0.8, top_k: 0, top_p: 0.95, unit: 'songs', amount: 1,
      form: '', lines_per_stanza: 4, syllables: '', rhyme: '', repetition_penalty: 1, avoid_copying: false };
    const num = (k, ok) => {
      if (!params.has(k)) return true;
      const s = params.get(k).trim();
      const v = Number(s);
      if (s === '' || !Number.isFinite(v) || !ok(v, s)) return false;
      p[k] = v;
      return true;
    };
    if (!num('seed', (v, s) => isInt(s) && v <= MAX_SEED)) return { error: 'seed' };
    if (!num('temperature', (v) => v >= 0 && v <= 10)) return { error: 'temperature' };
    if (!num('top_k', (v, s) => isInt(s))) return { error: 'top_k' };
    if (!num('top_p', (v) => v > 0 && v <= 1)) return { error: 'top_p' };
    if (!num('lines_per_stanza', (v, s) => isInt(s) && v >= 1 && v <= 32)) return { error: 'lines_per_stanza' };
    if (!num('repetition_penalty', (v) => v >= 1 && v <= 100)) return { error: 'repetition_penalty' };
    for (const [name, cap] of PRESETS) {
      if (!params.has(name)) continue;
      const v = params.get(name).trim();
      if (utf8Len(v) > cap) return { error: name };
      p[name] = v;
    }
    if (params.has('avoid_copying')) {
      const v = params.get('avoid_copying');
      if (!['0', '1', 'true', 'false'].includes(v)) return { error: 'avoid_copying' };
      p.avoid_copying = v === '1' || v === 'true';
    }
    if (params.has('length')) {
      const s = params.get('length').trim();
      if (!isInt(s) || Number(s) < 1 || Number(s) > 20000) return { error: 'length' };
      p.unit = 'length';
      p.amount = Number(s);
    } else if (params.has('songs')) {
      const s = params.get('songs').trim();
      if (!isInt(s) || Number(s) < 1 || Number(s) > 20) return { error: 'songs' };
      p.unit = 'songs';
      p.amount = Number(s);
    }
    return { params: p };
  }

  // ---------------------------------------------------------------- permalink and CLI command
  function permalinkQuery(p) {
    const q = new URLSearchParams();
    q.set('model', p.model);
    if (p.prime) q.set('prime', p.prime);
    q.set('seed', String(p.seed));
    q.set('temperature', String(p.temperature));
    q.set('top_k', String(p.top_k));
    q.set('top_p', String(p.top_p));
    q.set(p.unit === 'length' ? 'length' : 'songs', String(p.amount));
    if (p.form) q.set('form', p.form);
    if (p.form) q.set('lines_per_stanza', String(p.lines_per_stanza));
    if (p.syllables) q.set('syllables', p.syllables);
    if (p.rhyme) q.set('rhyme', p.rhyme);
    if (p.repetition_penalty !== 1) q.set('repetition_penalty', String(p.repetition_penalty));
    if (p.avoid_copying) q.set('avoid_copying', '1');
    return q.toString();
  }
  const permalinkUrl = (p) => new URL(`?${permalinkQuery(p)}`, location.href).href;
  const shellQuote = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  // the same settings as `serce sample` flags (tools/cmd_use.c): byte-identical text
  function cliCommand(p) {
    const parts = ['serce', 'sample', shellQuote(p.model)];
    if (p.prime) parts.push('--prime', shellQuote(p.prime));
    parts.push('--seed', String(p.seed), '--temperature', String(p.temperature), '--top-k', String(p.top_k),
      '--top-p', String(p.top_p), p.unit === 'length' ? '--length' : '--songs', String(p.amount));
    if (p.form) parts.push('--form', shellQuote(p.form), '--lines-per-stanza', String(p.lines_per_stanza));
    if (p.syllables) parts.push('--syllables', shellQuote(p.syllables));
    if (p.rhyme) parts.push('--rhyme', shellQuote(p.rhyme));
    if (p.repetition_penalty !== 1) parts.push('--repetition-penalty', String(p.repetition_penalty));
    if (p.avoid_copying) parts.push('--avoid-copying');
    return parts.join(' ');
  }
  function renderShare() {
    const p = S.lastParams;
    el.share.hidden = !p;
    el['copy-link'].disabled = !p;
    if (!p) return;
    el.permalink.href = `?${permalinkQuery(p)}`;
    el['permalink-note'].textContent = S.edited ? t('edited') : p.own ? t('permalinkOwn') : '';
    el.cli.textContent = cliCommand(p);
  }
  // ---------------------------------------------------------------- generation
  function updateButtons() {
    const busy = !!S.gen;
    el.generate.disabled = busy || !S.model || S.cowrite;
    el.stop.disabled = !busy;
    el['copy-text'].disabled = !currentText();
    el['cowrite-toggle'].disabled = !S.model;
    el.continue.disabled = busy || !S.model;
    el.lyrics.setAttribute('aria-busy', busy && !S.gen.cowrite ? 'true' : 'false');
  }
  const currentText = () => (S.cowrite ? el.cowrite.value : el.lyrics.textContent);

  function startGeneration(p) {
    if (!S.model) return showError('errNoModel');
    const id = beginRun(p);
    S.worker.postMessage({ type: 'generate', id, prime: p.prime, settings: settingsOf(p) });
  }

  // the page's side of a new run on the sheet (the worker is told by the caller); returns its id.
  // loadSeq: the model load the run waits for (a permalink's song), which then does not stop it
  function beginRun(p, loadSeq) {
    if (S.gen) stopGeneration();
    if (S.cowrite) setCowrite(false, true);
    clearError();
    writeControls(p);
    const id = ++S.genSeq;
    S.gen = { id, params: p, song: null, chars: 0, chunks: 0, loadSeq };
    S.lastParams = p;
    S.edited = false;
    S.report = null;
    S.origSeq++;
    el.lyrics.replaceChildren();
    el.speed.textContent = '—';
    setStatus('writing');
    renderShare();
    renderReport();
    updateButtons();
    return id;
  }

  function stopGeneration() {
    const g = S.gen;
    if (!g) return;
    S.worker.postMessage({ type: 'stop', id: g.id });
    S.gen = null; // from now on chunks of that run are ignored: the text stops growing at once
    setStatus('stopped', { n: fmtInt(g.chars) });
    if (g.cowrite) endCowriteRun(g);
    else finishSheet(g, null);
    updateButtons();
  }

  // the lyrics as a song sheet: div.song > span.title + span.stanza..., all text nodes; the text
  // content of #lyrics is exactly the generated text. Stanzas are separate blocks, so a growing
  // song only lays out its last stanza again.
  function newBlock(g, cls) {
    const span = document.createElement('span');
    span.className = cls;
    const node = document.createTextNode('');
    span.append(node);
    g.song.div.append(span);
    g.song.node = node;
  }
  function newSong(g) {
    const div = document.createElement('div');
    div.className = 'song';
    el.lyrics.append(div);
    g.song = { div, node: null, inTitle: true };
    newBlock(g, 'title');
  }
  // body text: a stanza ends after an empty line ("\n\n", possibly split across chunks)
  function appendBody(g, text) {
    let i = 0;
    while (i < text.length) {
      const cur = g.song.node;
      let j;
      if (i === 0 && text[0] === '\n' && cur.data.endsWith('\n') && !cur.data.endsWith('\n\n') && cur.data.length > 1) j = 0;
      else {
        const k = text.indexOf('\n\n', i);
        j = k < 0 ? -1 : k + 1;
      }
      if (j < 0) {
        cur.appendData(text.slice(i));
        return;
      }
      let end = j + 1;
      while (end < text.length && text[end] === '\n') end++;
      cur.appendData(text.slice(i, end));
      i = end;
      newBlock(g, 'stanza');
    }
  }
  function appendPart(g, text, kind) {
    if (!g.song) newSong(g);
    if (g.song.inTitle) {
      const own = kind === 1 ? text.replace(/\n\n$/, '') : text;
      if (own.includes('\n')) {
        // a line break before the end of the title line: this song has no title, it is all lyrics
        g.song.node.parentNode.className = 'stanza';
        g.song.inTitle = false;
      } else {
        g.song.node.appendData(text);
        if (kind === 1) {
          g.song.inTitle = false;
          newBlock(g, 'stanza');
        }
        return;
      }
    }
    appendBody(g, text);
    if (kind === 2) g.song = null;
  }

  function onChunk(m) {
    const g = S.gen;
    if (!g || m.id !== g.id) return;
    if (g.cowrite) {
      const text = m.parts.map((part) => part[0]).join('');
      if (text) {
        el.cowrite.setRangeText(text, g.ins, g.ins, 'end');
        g.ins += text.length;
        autosize();
      }
    } else {
      for (const [text, kind] of m.parts) appendPart(g, text, kind);
    }
    if (!S.status || S.status[0] !== 'writing') setStatus('writing'); // a permalink's song: it was loading
    g.chars = m.chars;
    // the speed from the second chunk on (the first is a couple of characters; nothing to delay it)
    if (g.chunks++ && m.ms > 0 && m.chars > 0) el.speed.textContent = fmtInt((m.chars * 1000) / m.ms);
    if (el['copy-text'].disabled) updateButtons();
  }

  function onDone(m) {
    const g = S.gen;
    if (!g || m.id !== g.id) return;
    if (m.ms > 0 && m.chars > 0) el.speed.textContent = fmtInt((m.chars * 1000) / m.ms);
    S.gen = null;
    setStatus(m.stopped ? 'stopped' : 'finished', { n: fmtInt(m.chars) });
    if (g.cowrite) endCowriteRun(g);
    else finishSheet(g, m.stats);
    updateButtons();
  }

  // ---------------------------------------------------------------- the report: metre, rhyme, originality
  // After a run on the sheet: the core's own counts (serce_wasm_stats) and the originality meter
  // (serce_wasm_originality: spans of the text that occur verbatim in the training songs).
  function finishSheet(g, stats) {
    S.report = { params: g.params, stats, orig: undefined, text: el.lyrics.textContent };
    renderReport();
    requestOriginality();
  }

  function requestOriginality() {
    const id = ++S.origSeq;
    if (!S.report || !S.report.text || !S.model) return;
    if (!hasIndex()) {
      S.report.orig = null;
      renderReport();
      return;
    }
    S.worker.postMessage({ type: 'originality', id, text: S.report.text });
  }

  function onOriginality(m) {
    if (m.id !== S.origSeq || !S.report || S.cowrite) return;
    S.report.orig = m.result;
    if (m.result && Array.isArray(m.result.spans) && el.lyrics.textContent === S.report.text) highlight(el.lyrics, m.result.spans);
    renderReport();
  }

  // Wrap the UTF-16 ranges [start, end) of root's text in <mark> elements: text nodes are split and
  // moved, never re-parsed, so the text content stays exactly the same.
  function highlight(root, spans) {
    const nodes = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
    let base = 0;
    for (const node of nodes) {
      const start = base, end = base + node.data.length;
      base = end;
      let cur = node, off = start;
      for (const sp of spans) {
        const a = Math.max(sp[0], off), b = Math.min(sp[1], end);
        if (!cur || b <= a) continue;
        const piece = a > off ? cur.splitText(a - off) : cur;
        const rest = b < end ? piece.splitText(b - a) : null;
        if (piece.data.trim()) { // a lone line break or space is not worth a mark
          const mark = document.createElement('mark');
          mark.title = t('markTitle');
          piece.parentNode.insertBefore(mark, piece);
          mark.append(piece);
        }
        cur = rest;
        off = b;
      }
    }
  }

  const fmtPct = (x) => {
    const v = 100 * x;
    const s = v > 0 && v < 1 ? `<${fmtNum(1, 0)}` : fmtNum(v, 0);
    return lang === 'tr' ? `%${s}` : `${s}%`;
  };

  function renderReport() {
    const r = S.report;
    const craft = el['report-craft'], orig = el['report-orig'];
    craft.replaceChildren();
    orig.replaceChildren();
    craft.hidden = orig.hidden = true;
    el.report.hidden = !r || S.cowrite;
    if (!r || S.cowrite) return;
    const p = r.params, st = r.stats;
    if (p && st) {
      const items = [];
      if (p.rhyme && st.rhymes_required > 0) items.push([t('reportRhyme', { met: st.rhymes_met, n: st.rhymes_required }), st.rhymes_met === st.rhymes_required]);
      if (p.syllables && st.metre_lines > 0)
        items.push([t(/^\d+$/.test(p.syllables) ? 'reportMetreN' : 'reportMetreP', { met: st.metre_met, n: st.metre_lines, s: p.syllables }),
          st.metre_met === st.metre_lines]);
      for (const [text, ok] of items) {
        const b = document.createElement('strong');
        b.className = ok ? 'chip ok' : 'chip';
        b.textContent = text;
        craft.append(b, document.createTextNode(' '));
      }
      const notes = [];
      if (items.length && st.attempts > 0) notes.push(t('reportSearch', { n: fmtInt(st.attempts) }));
      if (p.avoid_copying && st.copy_bans > 0) notes.push(t('reportBans', { n: fmtInt(st.copy_bans) }));
      if (notes.length) {
        const s = document.createElement('span');
        s.className = 'hint';
        s.textContent = notes.join(' · ');
        craft.append(s);
      }
      craft.hidden = !items.length && !notes.length;
    }
    if (r.orig === null) {
      const s = document.createElement('span');
      s.className = 'hint';
      s.textContent = t('noIndex');
      orig.append(s);
      orig.hidden = false;
    } else if (r.orig) {
      const o = r.orig;
      const b = document.createElement('strong');
      b.className = o.copied ? 'chip' : 'chip ok';
      // a text with copies never shows as 100 % new
      b.textContent = o.copied && o.novelty > 0.995 ? t('novelty', { p: fmtNum(Math.floor(o.novelty * 1000) / 10, 1) })
        : t('novelty', { p: fmtNum(100 * o.novelty, 0) });
      const s = document.createElement('span');
      s.className = 'hint';
      s.textContent = o.spans && o.spans.length ? t('noveltyMarks') : t('noveltyClean', { n: fmtInt(o.n + 1) });
      orig.append(b, document.createTextNode(' '), s);
      orig.hidden = false;
    }
    el.report.hidden = craft.hidden && orig.hidden;
  }

  // ---------------------------------------------------------------- co-writing
  // "Birlikte yaz": the lyrics become an editable textarea. Serçe continues from the cursor: the text
  // before it is the prime (the first line is the title line, as everywhere), the generated text is
  // inserted at the cursor, and a panel shows the likeliest next letters and words there.
  function autosize() {
    const ta = el.cowrite;
    ta.style.height = 'auto';
    ta.style.height = `${ta.scrollHeight + 2}px`;
  }

  // the sheet from plain text (after co-writing): a first line followed by an empty line is the title
  function renderPlain(text) {
    el.lyrics.replaceChildren();
    if (!text) return;
    const g = { song: null };
    const k = text.indexOf('\n\n');
    if (k > 0 && !text.slice(0, k).includes('\n')) {
      appendPart(g, text.slice(0, k + 2), 1);
      if (k + 2 < text.length) appendPart(g, text.slice(k + 2), 0);
    } else {
      appendPart(g, text, 0);
    }
  }

  function setCowrite(on, quiet) {
    if (on === S.cowrite) return;
    if (S.gen) stopGeneration();
    S.cowrite = on;
    el['cowrite-toggle'].setAttribute('aria-pressed', String(on));
    el['cowrite-panel'].hidden = !on;
    el.cowrite.hidden = !on;
    el.lyrics.hidden = on;
    if (on) {
      const text = el.lyrics.textContent || el.prime.value;
      el.cowrite.value = text;
      el.cowrite.readOnly = false;
      autosize();
      el.cowrite.focus();
      el.cowrite.setSelectionRange(text.length, text.length);
      S.sugPrime = null;
      requestSuggestions();
    } else {
      const text = el.cowrite.value;
      if (text !== el.lyrics.textContent) {
        renderPlain(text);
        S.report = quiet ? null : { params: null, stats: null, orig: undefined, text };
        if (!quiet) requestOriginality();
      }
      S.sugItems = null;
    }
    renderReport();
    renderShare();
    updateButtons();
  }
  el['cowrite-toggle'].addEventListener('click', () => setCowrite(!S.cowrite));

  function continueFromCursor() {
    if (!S.model || S.gen || !S.cowrite) return;
    clearError();
    if (el['auto-seed'].checked || !el.seed.value.trim()) el.seed.value = String(randomSeed());
    const p = readControls();
    if (!p) return;
    const ta = el.cowrite;
    let a = ta.selectionStart;
    if (ta.selectionEnd > a) ta.setRangeText('', a, ta.selectionEnd, 'start'); // like typing: the selection goes
    a = ta.selectionStart;
    const until = el.until.value === 'song' ? 'song' : 'line';
    const settings = { ...settingsOf(p), songs: 1, length: until === 'line' ? 400 : 3000 };
    const id = ++S.genSeq;
    S.gen = { id, params: p, cowrite: true, ins: a, chars: 0, chunks: 0 };
    markEdited();
    ta.readOnly = true;
    markStale();
    el.speed.textContent = '—';
    setStatus('writing');
    updateButtons();
    S.lastCowrite = { prime: ta.value.slice(0, a), settings, until }; // for the tests and curious readers
    S.worker.postMessage({ type: 'generate', id, prime: S.lastCowrite.prime, settings, skipPrime: true, until });
  }
  function endCowriteRun(g) {
    const ta = el.cowrite;
    ta.readOnly = false;
    ta.focus();
    ta.setSelectionRange(g.ins, g.ins);
    autosize();
    requestSuggestions();
  }
  function markEdited() {
    if (!S.edited) {
      S.edited = true;
      renderShare();
    }
  }
  el.continue.addEventListener('click', continueFromCursor);
  el.cowrite.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && !ev.isComposing) {
      ev.preventDefault();
      continueFromCursor();
    }
  });
  el.cowrite.addEventListener('input', () => {
    markEdited();
    autosize();
    updateButtons();
    scheduleSuggestions();
  });
  for (const type of ['keyup', 'click', 'focus']) el.cowrite.addEventListener(type, () => scheduleSuggestions());

  // the next-letter panel: one request in flight at a time; the latest cursor wins
  // suggestions for another cursor position than the one shown are dimmed (and not inserted)
  function markStale() {
    const ta = el.cowrite;
    el.suggest.classList.toggle('stale', !!S.gen || ta.value.slice(0, ta.selectionStart) !== S.sugPrime);
  }
  function scheduleSuggestions() {
    markStale();
    clearTimeout(scheduleSuggestions.timer);
    scheduleSuggestions.timer = setTimeout(requestSuggestions, 120);
  }
  function requestSuggestions() {
    if (!S.cowrite || !S.model) return;
    markStale();
    if (S.gen) return;
    const ta = el.cowrite;
    const prime = ta.value.slice(0, ta.selectionStart);
    if (prime === S.sugPrime) return;
    if (S.sugBusy) {
      S.sugAgain = true;
      return;
    }
    S.sugBusy = true;
    S.sugAgain = false;
    S.worker.postMessage({ type: 'suggest', id: ++S.sugSeq, prime, k: 8, maxChars: 24 });
    S.sugAsked = prime;
  }
  function onSuggest(m) {
    S.sugBusy = false;
    if (m.id === S.sugSeq) {
      S.sugPrime = S.sugAsked;
      S.sugItems = m.items;
      S.sugMessage = m.message;
      const w = /[\p{L}'’]+$/u.exec(S.sugPrime);
      S.sugPrefix = w ? w[0] : '';
      renderSuggestions();
    }
    if (S.sugAgain) requestSuggestions();
  }
  const showChar = (c) => (c === ' ' ? '␣' : c === '\n' ? '↵' : c);
  function chip(box, label, pre, p, insert) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'chip-button';
    if (pre) {
      const s = document.createElement('span');
      s.className = 'pre';
      s.textContent = pre;
      b.append(s);
    }
    b.append(document.createTextNode(label));
    const pc = document.createElement('span');
    pc.className = 'pct';
    pc.textContent = fmtPct(p);
    b.append(pc);
    b.setAttribute('aria-label', t('sugInsert', { s: pre + label, p: fmtPct(p) }));
    b.addEventListener('click', () => insertSuggestion(insert));
    box.append(b);
  }
  function renderSuggestions() {
    const chars = el['suggest-chars'], words = el['suggest-words'];
    markStale();
    chars.replaceChildren();
    words.replaceChildren();
    el['suggest-note'].textContent = '';
    const items = S.sugItems;
    if (!items) {
      if (S.sugMessage) el['suggest-note'].textContent = t('sugError', { msg: S.sugMessage });
      return;
    }
    const seen = new Set();
    const wordList = [];
    for (const [c, p, w, wp] of items.slice(0, 6)) {
      if (c === '</s>') {
        const s = document.createElement('span');
        s.className = 'chip-end';
        s.textContent = `${t('sugEnd')} ${fmtPct(p)}`;
        chars.append(s);
        continue;
      }
      if (c === '<t>') chip(chars, t('sugTitleEnd'), '', p, '\n');
      else chip(chars, showChar(c), '', p, c);
    }
    for (const [c, , w, wp] of items) {
      if (c.length > 1 && c.startsWith('<')) continue; // special tokens
      if (!/\p{L}/u.test(w) || seen.has(w)) continue;
      seen.add(w);
      wordList.push([w, wp]);
    }
    wordList.sort((x, y) => y[1] - x[1]);
    for (const [w, wp] of wordList.slice(0, 5)) {
      const glued = /^[\p{L}'’]/u.test(w) ? S.sugPrefix : ''; // a word that goes on from the letters before the cursor
      chip(words, w.replace(/^ /, '␣'), glued, wp, w);
    }
  }
  function insertSuggestion(text) {
    const ta = el.cowrite;
    if (S.gen || ta.value.slice(0, ta.selectionStart) !== S.sugPrime) {
      ta.focus();
      return requestSuggestions();
    }
    ta.focus();
    ta.setRangeText(text, ta.selectionStart, ta.selectionEnd, 'end');
    markEdited();
    autosize();
    updateButtons();
    requestSuggestions();
  }

  el.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (S.gen || !S.model || S.cowrite) return;
    clearError();
    if (el['auto-seed'].checked || !el.seed.value.trim()) el.seed.value = String(randomSeed());
    const p = readControls();
    if (!p) return;
    startGeneration(p);
    revealSheet();
  });
  // on a narrow screen the sheet is below the settings: bring it into view when writing starts
  function revealSheet() {
    const r = el.sheet.getBoundingClientRect();
    if (r.top > window.innerHeight * 0.6) el.sheet.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }
  // the first line is a textarea (a title line may follow with Shift+Enter); Enter writes
  el.prime.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      el.form.requestSubmit ? el.form.requestSubmit() : el.generate.click();
    }
  });
  el.stop.addEventListener('click', () => {
    stopGeneration();
    el.generate.focus();
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && S.gen) {
      ev.preventDefault();
      stopGeneration();
    }
  });

  // ---------------------------------------------------------------- copy
  async function copy(text) {
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (e) {
      const ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.className = 'visually-hidden';
      document.body.append(ta);
      ta.select();
      try { ok = document.execCommand('copy'); } catch (e2) { ok = false; }
      ta.remove();
    }
    el.copied.textContent = t(ok ? 'copied' : 'copyFailed');
    clearTimeout(copy.timer);
    copy.timer = setTimeout(() => { el.copied.textContent = ''; }, 2500);
  }
  el['copy-text'].addEventListener('click', () => copy(currentText()));
  el['copy-link'].addEventListener('click', () => S.lastParams && copy(permalinkUrl(S.lastParams)));

  // ---------------------------------------------------------------- model card
  const SVGNS = 'http://www.w3.org/2000/svg';
  function svg(name, attrs, text) {
    const n = document.createElementNS(SVGNS, name);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = text;
    return n;
  }
  const finite = (v) => typeof v === 'number' && Number.isFinite(v);

  function fact(dl, label, value, asCode, wide) {
    const div = document.createElement('div');
    if (wide) div.className = 'wide';
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    if (asCode) {
      const c = document.createElement('code');
      c.textContent = value;
      dd.append(c);
    } else dd.textContent = value;
    div.append(dt, dd);
    dl.append(div);
  }

  function renderCard() {
    const dl = el['card-facts'];
    dl.replaceChildren();
    el.curve.replaceChildren();
    el['curve-figure'].hidden = true;
    if (!S.model) return;
    const info = S.model.info, c = info.config || {}, tr = info.training;
    el['card-summary'].textContent = tr ? t('cardSummary') : t('noTraining');
    if (tr && typeof tr.corpus === 'string')
      fact(dl, t('fCorpus'), t('fCorpusVal', {
        name: tr.corpus, songs: finite(tr.corpus_songs) ? fmtInt(tr.corpus_songs) : '?',
        chars: finite(tr.corpus_chars) ? fmtInt(tr.corpus_chars) : '?',
      }));
    if (tr && finite(tr.train_songs) && finite(tr.val_songs))
      fact(dl, t('fSplit'), t('fSplitVal', { train: fmtInt(tr.train_songs), val: fmtInt(tr.val_songs) }));
    fact(dl, t('fShape'), t('fShapeVal', { L: c.layers, H: c.hidden, E: c.embed, V: c.vocab, lc: c.lowercase ? t('fLower') : '' }));
    fact(dl, t('fParams'), fmtInt(info.parameters));
    fact(dl, t('fFile'), `${S.model.file} · ${fmtBytes(S.model.size)}`);
    if (tr && finite(tr.steps)) {
      const secs = finite(tr.seconds) ? tr.seconds : 0;
      const time = secs >= 90 ? t('minutes', { n: fmtNum(secs / 60, 1) }) : t('seconds', { n: fmtNum(secs, 0) });
      fact(dl, t('fTraining'), t('fTrainingVal', { steps: fmtInt(tr.steps), epochs: finite(tr.epochs) ? fmtNum(tr.epochs, 1) : '?', time }));
    }
    if (tr && finite(tr.val_bpc))
      fact(dl, t('fVal'), t('fValVal', { bpc: fmtNum(tr.val_bpc, 3), best: finite(tr.best_step) ? fmtInt(tr.best_step) : '?' }));
    if (tr && typeof tr.val_method === 'string') {
      // the CLI's wording, in the page's language when we know it
      const known = tr.val_method.startsWith('whole songs held out by a fixed hash split');
      fact(dl, t('fMethod'), known ? t('valMethod') : tr.val_method, false, true);
    }
    if (tr && typeof tr.date === 'string') {
      const d = new Date(tr.date);
      fact(dl, t('fDate'), Number.isNaN(d.getTime()) ? tr.date
        : new Intl.DateTimeFormat(locale(), { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(d) + ' UTC');
    }
    if (tr && typeof tr.command === 'string') fact(dl, t('fCommand'), tr.command, true, true);
    const card = info.metadata && info.metadata['serce.card'];
    if (typeof card === 'string') fact(dl, t('fCard'), card);
    else if (card && typeof card === 'object') {
      for (const [k, v] of Object.entries(card)) fact(dl, k, typeof v === 'string' ? v : JSON.stringify(v));
    }
    if (tr && Array.isArray(tr.curve)) drawCurve(tr.curve);
  }

  // round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]
  function niceTicks(lo, hi, want) {
    const raw = (hi - lo) / Math.max(1, want);
    const p = 10 ** Math.floor(Math.log10(raw || 1));
    const step = [1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw) || 10 * p;
    const ticks = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
    return { ticks, step };
  }

  function drawCurve(curve) {
    const pts = curve.filter((p) => Array.isArray(p) && p.length >= 3 && p.every(finite));
    if (pts.length < 2) return;
    el['curve-figure'].hidden = false;
    const W = Math.max(300, Math.min(680, el.curve.clientWidth || 560)), H = Math.round(Math.min(260, W * 0.5));
    const m = { l: 46, r: 12, t: 12, b: 40 };
    const xs = pts.map((p) => p[0]), ys = pts.flatMap((p) => [p[1], p[2]]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    let y0 = Math.min(...ys), y1 = Math.max(...ys);
    if (y1 - y0 < 1e-6) { y0 -= 0.5; y1 += 0.5; }
    const yt = niceTicks(y0, y1, 4);
    y0 = Math.floor(y0 / yt.step) * yt.step;
    y1 = Math.ceil(y1 / yt.step) * yt.step;
    const yticks = niceTicks(y0, y1, 4).ticks;
    const xticks = niceTicks(x0, x1, W < 420 ? 3 : 5).ticks;
    const X = (v) => m.l + ((v - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
    const Y = (v) => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': t('curveLabel'), class: 'curve-svg' });
    root.append(svg('title', {}, t('curveLabel')));
    const digits = yt.step >= 1 ? 0 : yt.step >= 0.1 ? 1 : 2;
    for (const v of yticks) {
      const y = Y(v);
      root.append(svg('line', { x1: m.l, x2: W - m.r, y1: y, y2: y, class: 'grid' }));
      root.append(svg('text', { x: m.l - 6, y: y + 4, 'text-anchor': 'end', class: 'tick' }, fmtNum(v, digits)));
    }
    for (const v of xticks) {
      const x = X(v);
      root.append(svg('line', { x1: x, x2: x, y1: H - m.b, y2: H - m.b + 4, class: 'grid' }));
      root.append(svg('text', { x, y: H - m.b + 17, 'text-anchor': 'middle', class: 'tick' }, fmtInt(v)));
    }
    root.append(svg('text', { x: (m.l + W - m.r) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis' }, t('curveStep')));
    const my = m.t + (H - m.t - m.b) / 2;
    root.append(svg('text', { x: 12, y: my, 'text-anchor': 'middle', class: 'axis', transform: `rotate(-90 12 ${my})` }, t('curveBpc')));
    const line = (k, cls) => svg('polyline', { points: pts.map((p) => `${X(p[0]).toFixed(1)},${Y(p[k]).toFixed(1)}`).join(' '), class: cls });
    root.append(line(1, 'train'), line(2, 'val'));
    const legend = document.createElement('ul');
    legend.className = 'legend';
    for (const [cls, key] of [['train', 'curveTrain'], ['val', 'curveVal']]) {
      const li = document.createElement('li');
      const sw = document.createElement('span');
      sw.className = `swatch ${cls}`;
      li.append(sw, document.createTextNode(t(key)));
      legend.append(li);
    }
    el.curve.append(root, legend);
  }

  // ---------------------------------------------------------------- offline
  function registerServiceWorker() {
    if (!('serviceWorker' in navigator) || params.get('sw') === '0') return;
    navigator.serviceWorker.register('sw.js').then(() => navigator.serviceWorker.ready).then(() => {
      S.offlineReady = true;
      el.offline.textContent = t('offlineReady');
    }).catch(() => { /* no offline use, the page still works */ });
  }

  // ---------------------------------------------------------------- start
  el.seed.value = String(randomSeed());
  syncTemperature();
  const link = readPermalink();
  if (link && link.error) {
    S.linkError = link.error;
  } else if (link) {
    S.auto = { ...link.params };
    el['auto-seed'].checked = false;
    S.avoidTouched = true;
    writeControls(link.params);
  }
  for (const [name] of PRESETS) syncPreset(name);
  applyLang();
  if (S.linkError) showError('errParam', { name: S.linkError });
  updateButtons();
  attachWorker();
  loadIndex();
  registerServiceWorker();
  window.__serce = { version: VERSION, state: S }; // for the browser tests and curious readers
})();
