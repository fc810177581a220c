// The words of the screens, in the customer guide's wording: Japanese first, English beside it.
// Messages about what went wrong come from the API itself (it answers in the same language).

const TEXT = {
  ja: {
    service: "お客さまWebサービス",
    skip: "本文へ移動",
    siteNav: "サイト",
    switchLanguage: "English",
    switchLanguageLabel: "Switch to English",
    logOut: "ログアウト",
    changePassword: "パスワード変更",
    accidents: "事故一覧",
    footer: "毎週月曜日 2:00〜4:00（日本時間）はメンテナンスのためご利用いただけません。",

    startTitle: "自動車事故の対応状況の確認",
    startLead: "ご契約のお車の事故について、対応状況をパソコンやスマートフォンからご確認いただけます。",
    logInTitle: "ログイン",
    email: "ユーザーID（メールアドレス）",
    password: "パスワード",
    logIn: "ログイン",
    firstTime: "初めてご利用の方",
    firstTimeLead: "ご利用には「お客さまWebサービス」への利用登録が必要です。",
    register: "利用登録へ進む",
    forgot: "パスワードをお忘れの方",
    individualOnly: "お客さまWebサービスは個人のご契約者さま向けのインターネットサービスです。団体契約など一部のご契約はご利用いただけません。",

    chooseTitle: "利用登録の方法を選ぶ",
    chooseLead: "お手元の書類によって、登録の方法が異なります。",
    simpleTitle: "手続コードをお持ちの方（簡単登録）",
    simpleLead: "保険証券または当社からのハガキに「初回ユーザーID／証券番号」と「初回パスワード／手続コード」が記載されている方。",
    maskedNote: "初回パスワード／手続コードが「*****」と表示されている場合はご利用いただけません。「新規登録」からご登録ください。",
    simpleGo: "簡単登録へ進む",
    newTitle: "手続コードをお持ちでない方（新規登録）",
    newLead: "保険証券やハガキがお手元にない方。お名前、生年月日、証券番号、メールアドレスなどを入力して送信すると、仮パスワードをメールでお送りします。",
    newGo: "新規登録へ進む",

    simpleStep1: "簡単登録（1/2）：初回ユーザーID・初回パスワードの入力",
    policyNumberInitial: "初回ユーザーID（証券番号）",
    policyNumberHint: "保険証券またはハガキに記載の番号（例：A-2026-000001）",
    procedureCode: "初回パスワード（手続コード）",
    procedureCodeHint: "保険証券またはハガキに記載の手続コード",
    next: "次へ",
    simpleStep2: "簡単登録（2/2）：メールアドレスとパスワードの設定",
    simpleStep2Lead: "ここで設定するメールアドレスが、今後ログインに使うユーザーIDになります。",
    newEmail: "メールアドレス（今後のユーザーID）",
    newPassword: "新しいパスワード",
    passwordHint: "8文字以上。推測されやすいもの（password、メールアドレスと同じ など）は使えません。スペースを含む長い合言葉もおすすめです。",
    confirmPassword: "新しいパスワード（確認のためもう一度）",
    registerDone: "登録する",
    registered: "ご登録が完了しました。設定したメールアドレスとパスワードでログインしてください。",

    newFormTitle: "新規登録：ご契約内容の入力",
    fullName: "ご契約者さまのお名前",
    fullNameHint: "保険証券と同じお名前（例：山田 太郎）",
    dateOfBirth: "生年月日",
    dateOfBirthHint: "例：1980年5月17日、昭和55年5月17日、1980/05/17",
    policyNumber: "証券番号",
    policyNumberNewHint: "例：A-2026-000001",
    emailForMail: "メールアドレス",
    emailForMailHint: "仮パスワードをお送りします。今後ログインに使うユーザーIDになります。",
    send: "送信する",
    sentTitle: "メールをご確認ください",
    sentNext: "メールに記載の仮パスワードでログインしてください。ログインすると、パスワード変更の画面が表示されます。",
    toLogIn: "ログイン画面へ",

    changeTitle: "パスワードの変更",
    forcedLead: "仮パスワードでログインしました。ご利用を始めるには、お好きなパスワードに変更してください。",
    currentPassword: "現在のパスワード",
    temporaryPassword: "仮パスワード（メールに記載のもの）",
    change: "変更する",
    changed: "パスワードを変更しました。",
    mismatch: "確認のためのパスワードが一致しません。",

    resetTitle: "パスワードの再発行",
    resetLead: "ご登録のメールアドレスを入力してください。仮パスワードをメールでお送りします。",
    resetSend: "仮パスワードを送る",

    listTitle: "事故一覧",
    listLead: "確認したい事故を選んでください。",
    noAccidents: "現在、表示できる事故はありません。事故のご連絡から表示まで少し時間がかかることがあります。",
    more: "さらに表示",
    accidentDate: "事故日",
    vehicle: "お車",
    updatedAt: "最終更新",
    handler: "担当者",
    location: "事故の場所",

    detailTitle: "事故の対応状況",
    back: "事故一覧へ戻る",
    progress: "対応の進み具合",
    currentStage: "現在の状況",
    stepDone: "完了",
    stepCurrent: "現在",
    stepSkipped: "（該当なし）",
    yourActions: "お客さまにお願いしたいこと",
    noActions: "現在、お客さまにお願いしていることはありません。",
    actionsOpen: "ご対応のお願いがあります",
    actionsOpenLead: "{count}件のお願いがあります。書類や写真は、このページからお送りいただけます。",
    dueLabel: "期限：{date}",
    reasonLabel: "担当者より：",
    requestState: { requested: "お願い中", submitted: "提出済み（確認待ち）", accepted: "確認済み", resubmit: "再提出のお願い" },
    documentState: { received: "受付済み", reviewing: "確認中", accepted: "確認済み", resubmit: "再提出のお願い" },
    uploadFor: "このお願いの書類・写真を送る",
    uploadOther: "その他の書類・写真を送る",
    uploadHint: "JPEG・PNG・HEIC・PDF、1ファイル10MBまで。スマートフォンでは、その場で撮影した写真も送れます。",
    uploading: "{name} を送信中",
    uploadingShort: "送信中…",
    documentsTitle: "お送りいただいた書類・写真",
    noDocuments: "まだお送りいただいた書類・写真はありません。",
    closedReadOnly: "この事故の対応は完了しているため、書類・写真やメッセージはお送りいただけません。",
    messagesTitle: "担当者とのメッセージ",
    unreadCount: "新着メッセージ {count}件",
    defaultOfficeHours: "平日 9:00〜17:00",
    officeHoursLabel: "担当者の受付時間：",
    messagesNote: "受付時間外にいただいたメッセージには、次の受付時間にお返事します。お急ぎの場合は担当者にお電話ください。",
    fromYou: "お客さま",
    fromHandler: "担当者",
    newMark: "新着",
    readMark: "既読",
    noMessages: "まだメッセージはありません。",
    messageLabel: "メッセージ（2,000文字まで）",
    charCount: "{count} / {max}文字",
    sendMessage: "送信する",
    messageTooLong: "{max}文字以内で入力してください。",
    coverages: "補償ごとの状況",
    coverage: "補償",
    status: "状況",
    payments: "保険金のお支払い",
    amount: "金額",
    date: "日付",
    paymentStatus: { scheduled: "お支払い予定", made: "お支払い済" },
    timeline: "これまでの経過",
    viewThatDay: "（この日の状況を見る）",
    claimNumber: "事故受付番号",
    quoteNumbers: "お電話でお問い合わせの際は、事故受付番号と証券番号をお伝えください。",
    asOf: "{time}時点の情報",
    refresh: "更新",
    pastView: "{date}時点の状況を表示しています。これは過去の情報です。",
    pastViewNote: "書類・写真やメッセージは、最新の状況の画面からお送りください。",
    backToLatest: "最新の状況に戻る",
    paymentDeadline: "お支払い期限の目安：{date}（{basis}）",
    deadlineExtended: "{reason}が必要なため、お支払い期限を{date}まで延長しています。",
    coverageDeadlineExtended: "{coverage}は、{reason}が必要なため、お支払い期限を{date}まで延長しています。",
    deadlinePending: "お支払いの時期：必要書類がすべてそろった日から{days}日以内を目安にお支払いします（調査が必要な場合は延びることがあります）。書類がそろうと、ここにお支払い期限の目安を表示します。",
    deadlinePendingTerms: "お支払いの時期：必要書類がすべてそろった日から、ご契約の約款に定める期間内を目安にお支払いします（調査が必要な場合は延びることがあります）。書類がそろうと、ここにお支払い期限の目安を表示します。",
    stepReachedShown: "{date}",
    stepReachedSpoken: "到達日 {date}",
    stepSinceShown: "{date}〜",
    stepSinceSpoken: "{date}から",
    notYetOpened: "この事故は{date}にはまだ受け付けられていませんでした。",
    coverageDeadline: "お支払い期限の目安：{date}",
    typicalDays: "通常{days}日程度",
    typicalNote: "（これまでの事故の目安で、お約束するものではありません）",
    payee: "お振込先",
    breakdown: "内訳",
    totalPaid: "お支払い済みの合計",
    totalScheduled: "お支払い予定の合計",
    handlerTitle: "事故担当者",
    handlerNote: "対応状況の詳細については、事故担当者にお問い合わせください。",
    phone: "電話",
    office: "担当部署",
    notAssigned: "担当者が決まり次第、表示します。",
    notFoundTitle: "事故が見つかりません",
    notFound: "お探しの事故は見つかりませんでした。事故一覧からお選びください。",
    pageNotFound: "ページが見つかりません",

    maintenanceTitle: "ただいまメンテナンス中です",
    maintenanceLead: "毎週月曜日 2:00〜4:00（日本時間）は、システムメンテナンスのためお客さまWebサービスを停止しています。",
    maintenanceUntil: "再開予定：{time}ごろ",
    maintenanceRetry: "時間をおいて、もう一度お試しください。",
    reload: "再読み込み",

    required: "入力してください。",
    checkInput: "入力内容をご確認ください。",
    network: "通信できませんでした。通信環境をご確認のうえ、もう一度お試しください。",
    unavailable: "ただいま混み合っているか、一時的にご利用いただけません。しばらくしてから、もう一度お試しください。",
    unexpected: "表示できませんでした。もう一度お試しください。",
    failureTitle: "ページを表示できませんでした",
    retry: "もう一度試す",
    toStart: "トップページへ",
    sessionEnded: "ログインの有効期限が切れました。もう一度ログインしてください。",
    loggedOut: "ログアウトしました。",
    loading: "読み込み中…",
    restart: "最初からやり直す",
    appName: "お客さま事故サポート",
    appNav: "アプリのメニュー",
    navHome: "ホーム",
    navAccidents: "事故の状況",
    navContract: "契約・登録",
    appHomeLead: "ご契約のお車の事故の対応状況の確認や、お客さまWebサービスへの利用登録ができます。",
    accidentSupport: "事故サポート",
    accidentSupportLead: "事故のご連絡後の対応状況、担当者、お客さまにお願いしたいことを確認できます。",
    checkAccidentStatus: "自動車事故の対応状況を確認する",
    contractMenu: "契約確認・変更",
    contractLead: "ご利用には「お客さまWebサービス」への利用登録が必要です。登録がお済みでない方は、こちらから登録できます。",
    registerNow: "今すぐ登録する",
    appRegisterTitle: "今すぐ登録する",
    withCode: "手続コード／初回パスワードをお持ちの方",
    withCodeLead: "保険証券または当社からのハガキに「初回ユーザーID／証券番号」と「初回パスワード／手続コード」が記載されている方。",
    withoutCode: "手続コード／初回パスワードをお持ちでない方",
    withoutCodeLead: "保険証券やハガキがお手元にない方。仮パスワードをメールでお送りします。",
    keepSignedIn: "ログインしたままにする",
    keepSignedInHint: "この端末にログインの状態を保存します。共用の端末ではチェックしないでください。",
    offlineAsOf: "{time}時点の情報（オフライン）",
    newVersion: "新しいバージョンがあります",
    fieldInvalid: {
      email: "メールアドレスの形式をご確認ください（例：taro@example.jp）。",
      full_name: "お名前をご確認ください。",
      date_of_birth: "生年月日をご確認ください（例：1980年5月17日）。",
      policy_number: "証券番号をご確認ください。",
      procedure_code: "手続コードをご確認ください。",
      password: "パスワードをご確認ください。",
      new_password: "パスワードをご確認ください。",
      current_password: "パスワードをご確認ください。",
    },
  },
  en: {
    service: "Customer Web Service",
    skip: "Skip to content",
    siteNav: "Site",
    switchLanguage: "日本語",
    switchLanguageLabel: "日本語に切り替える",
    logOut: "Log out",
    changePassword: "Change password",
    accidents: "Accidents",
    footer: "The service stops for maintenance every Monday 02:00–04:00 (Japan time).",

    startTitle: "Check how your car accident is being handled",
    startLead: "See the handling status of your car accident from a PC or a smartphone.",
    logInTitle: "Log in",
    email: "User ID (email address)",
    password: "Password",
    logIn: "Log in",
    firstTime: "First time here?",
    firstTimeLead: "You need to register for the customer web service first.",
    register: "Register",
    forgot: "Forgot your password?",
    individualOnly: "The customer web service is for individual policyholders. Group contracts and some others cannot use it.",

    chooseTitle: "Choose how to register",
    chooseLead: "The way to register depends on the documents you have.",
    simpleTitle: "I have a procedure code (simple registration)",
    simpleLead: "Your policy document or our postcard shows an \"initial user ID / policy number\" and an \"initial password / procedure code\".",
    maskedNote: "If the initial password / procedure code is shown as \"*****\", it cannot be used: please use new registration.",
    simpleGo: "Simple registration",
    newTitle: "I don't have a procedure code (new registration)",
    newLead: "You don't have the policy document or postcard at hand. Enter your name, date of birth, policy number and email address; we email you a temporary password.",
    newGo: "New registration",

    simpleStep1: "Simple registration (1/2): initial user ID and initial password",
    policyNumberInitial: "Initial user ID (policy number)",
    policyNumberHint: "The number on your policy document or postcard (e.g. A-2026-000001)",
    procedureCode: "Initial password (procedure code)",
    procedureCodeHint: "The procedure code on your policy document or postcard",
    next: "Next",
    simpleStep2: "Simple registration (2/2): your email address and password",
    simpleStep2Lead: "The email address you set here becomes the user ID you log in with.",
    newEmail: "Email address (your user ID from now on)",
    newPassword: "New password",
    passwordHint: "At least 8 characters; easily guessed ones (password, your email address, ...) are refused. A long passphrase with spaces works well.",
    confirmPassword: "New password (again, to confirm)",
    registerDone: "Register",
    registered: "You are registered. Please log in with the email address and password you set.",

    newFormTitle: "New registration: your contract details",
    fullName: "Policyholder's name",
    fullNameHint: "As on your policy (e.g. 山田 太郎)",
    dateOfBirth: "Date of birth",
    dateOfBirthHint: "e.g. 1980-05-17, 1980/05/17, 昭和55年5月17日",
    policyNumber: "Policy number",
    policyNumberNewHint: "e.g. A-2026-000001",
    emailForMail: "Email address",
    emailForMailHint: "We send the temporary password here; it becomes the user ID you log in with.",
    send: "Send",
    sentTitle: "Please check your mail",
    sentNext: "Log in with the temporary password in the email. You will then be asked to change it.",
    toLogIn: "Go to log-in",

    changeTitle: "Change your password",
    forcedLead: "You logged in with a temporary password. Please change it to one of your own to start using the service.",
    currentPassword: "Current password",
    temporaryPassword: "Temporary password (from the email)",
    change: "Change",
    changed: "Your password has been changed.",
    mismatch: "The two new passwords do not match.",

    resetTitle: "Reset your password",
    resetLead: "Enter your registered email address and we will email you a temporary password.",
    resetSend: "Send a temporary password",

    listTitle: "Your accidents",
    listLead: "Choose an accident to see how it is being handled.",
    noAccidents: "There is no accident to show yet. It can take a little while after you report one.",
    more: "Show more",
    accidentDate: "Date",
    vehicle: "Vehicle",
    updatedAt: "Last updated",
    handler: "Handler",
    location: "Place",

    detailTitle: "Accident status",
    back: "Back to your accidents",
    progress: "Progress",
    currentStage: "Current status",
    stepDone: "done",
    stepCurrent: "current",
    stepSkipped: "(not needed)",
    yourActions: "What we need from you",
    noActions: "We need nothing from you at the moment.",
    actionsOpen: "We need something from you",
    actionsOpenLead: "Open requests: {count}. You can send documents and photos from this page.",
    dueLabel: "Due: {date}",
    reasonLabel: "From your handler: ",
    requestState: { requested: "Requested", submitted: "Sent (waiting to be checked)", accepted: "Checked", resubmit: "Please send it again" },
    documentState: { received: "Received", reviewing: "Being checked", accepted: "Checked", resubmit: "Please send it again" },
    uploadFor: "Send documents or photos for this request",
    uploadOther: "Send other documents or photos",
    uploadHint: "JPEG, PNG, HEIC or PDF, up to 10 MB a file. On a phone you can also take a photo there and then.",
    uploading: "Sending {name}",
    uploadingShort: "Sending…",
    documentsTitle: "Documents and photos you sent",
    noDocuments: "You have not sent any documents or photos yet.",
    closedReadOnly: "This claim is closed: documents, photos and messages can no longer be sent.",
    messagesTitle: "Messages with your handler",
    unreadCount: "New messages: {count}",
    defaultOfficeHours: "Weekdays 9:00-17:00",
    officeHoursLabel: "Your handler's hours: ",
    messagesNote: "Messages sent outside these hours are answered in the next opening hours. If it is urgent, please call your handler.",
    fromYou: "You",
    fromHandler: "Handler",
    newMark: "New",
    readMark: "Read",
    noMessages: "No messages yet.",
    messageLabel: "Message (up to 2,000 characters)",
    charCount: "{count} / {max} characters",
    sendMessage: "Send",
    messageTooLong: "Please keep it to {max} characters.",
    coverages: "Status per coverage",
    coverage: "Coverage",
    status: "Status",
    payments: "Payments",
    amount: "Amount",
    date: "Date",
    paymentStatus: { scheduled: "Scheduled", made: "Paid" },
    timeline: "What has happened",
    viewThatDay: " (see the status on this day)",
    claimNumber: "Claim number",
    quoteNumbers: "When you call us, please tell us the claim number and the policy number.",
    asOf: "Information as of {time}",
    refresh: "Refresh",
    pastView: "You are looking at this claim as it was on {date}: past information.",
    pastViewNote: "Documents, photos and messages are sent from the latest status.",
    backToLatest: "Back to the latest status",
    paymentDeadline: "Payment expected by {date} ({basis})",
    deadlineExtended: "The payment date is extended to {date} for this reason: {reason}.",
    coverageDeadlineExtended: "The payment date for {coverage} is extended to {date} for this reason: {reason}.",
    deadlinePending: "When you will be paid: usually within {days} days from the day all required documents are in (it can take longer when an investigation is needed). The expected date appears here once they are all in.",
    deadlinePendingTerms: "When you will be paid: within the period your policy terms set from the day all required documents are in (it can take longer when an investigation is needed). The expected date appears here once they are all in.",
    stepReachedShown: "reached {date}",
    stepReachedSpoken: "reached {date}",
    stepSinceShown: "since {date}",
    stepSinceSpoken: "since {date}",
    notYetOpened: "This accident had not been reported yet on {date}.",
    coverageDeadline: "Payment expected by {date}",
    typicalDays: "Usually about {days} days",
    typicalNote: " (a typical figure from past claims, not a promise)",
    payee: "Paid to",
    breakdown: "Breakdown",
    totalPaid: "Total paid",
    totalScheduled: "Total scheduled",
    handlerTitle: "Your claims handler",
    handlerNote: "For details of the status, please contact your claims handler.",
    phone: "Phone",
    office: "Office",
    notAssigned: "Shown here once a handler is assigned.",
    notFoundTitle: "Accident not found",
    notFound: "We could not find this accident. Please choose one from your accidents.",
    pageNotFound: "Page not found",

    maintenanceTitle: "The service is under maintenance",
    maintenanceLead: "Every Monday from 02:00 to 04:00 (Japan time) the customer web service stops for maintenance.",
    maintenanceUntil: "Expected back around {time}",
    maintenanceRetry: "Please try again later.",
    reload: "Reload",

    required: "Please fill this in.",
    checkInput: "Please check what you entered.",
    network: "We could not connect. Please check your connection and try again.",
    unavailable: "The service is busy or briefly unavailable. Please try again in a little while.",
    unexpected: "Something went wrong showing this. Please try again.",
    failureTitle: "This page could not be shown",
    retry: "Try again",
    toStart: "Go to the top page",
    sessionEnded: "Your session has ended. Please log in again.",
    loggedOut: "You have logged out.",
    loading: "Loading…",
    restart: "Start again",
    appName: "Car Accident Support",
    appNav: "App menu",
    navHome: "Home",
    navAccidents: "Accidents",
    navContract: "Register",
    appHomeLead: "Check how your car accident is being handled, or register for the customer web service.",
    accidentSupport: "Accident support",
    accidentSupportLead: "See the handling status of your accident, your claims handler and what we need from you.",
    checkAccidentStatus: "Check the handling status of your car accident",
    contractMenu: "Your policy",
    contractLead: "You need to register for the customer web service first. Not registered yet? Register here.",
    registerNow: "Register now",
    appRegisterTitle: "Register now",
    withCode: "I have a procedure code / initial password",
    withCodeLead: "Your policy document or our postcard shows an \"initial user ID / policy number\" and an \"initial password / procedure code\".",
    withoutCode: "I do not have a procedure code / initial password",
    withoutCodeLead: "You do not have your policy document or postcard at hand. We send a temporary password by email.",
    keepSignedIn: "Keep me logged in",
    keepSignedInHint: "Keeps you logged in on this device. Do not tick this on a shared device.",
    offlineAsOf: "Information as of {time} (offline)",
    newVersion: "A new version is available",
    fieldInvalid: {
      email: "Please check the email address (e.g. taro@example.jp).",
      full_name: "Please check the name.",
      date_of_birth: "Please check the date of birth (e.g. 1980-05-17).",
      policy_number: "Please check the policy number.",
      procedure_code: "Please check the procedure code.",
      password: "Please check the password.",
      new_password: "Please check the password.",
      current_password: "Please check the password.",
    },
  },
};

const STORED = "language";

export function language() {
  const chosen = localStorage.getItem(STORED);
  return chosen === "en" ? "en" : "ja";
}

export function setLanguage(lang) {
  localStorage.setItem(STORED, lang === "en" ? "en" : "ja");
}

export function t(key, values = {}) {
  const text = TEXT[language()][key] ?? TEXT.ja[key] ?? key;
  if (typeof text !== "string") return text;
  return text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}

const TOKYO = "Asia/Tokyo";

export function formatDate(iso) {
  if (!iso) return "";
  const date = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T00:00:00+09:00`) : new Date(iso);
  return new Intl.DateTimeFormat(language() === "en" ? "en-GB" : "ja-JP", {
    timeZone: TOKYO, year: "numeric", month: "long", day: "numeric",
  }).format(date);
}

export function formatDateTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(language() === "en" ? "en-GB" : "ja-JP", {
    timeZone: TOKYO, year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  }).format(new Date(iso));
}

export function formatYen(amount) {
  return new Intl.NumberFormat("ja-JP", { style: "currency", currency: "JPY" }).format(amount);
}

/** The day in Japan of a moment (an ISO time) as YYYY-MM-DD: what `?as_of=` takes for "that day". */
export function japanDay(iso) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: TOKYO, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date(iso));
}

/**
 * A day as a customer says it on the phone: 「12月1日」 / "1 December", with the year only when it is
 * not this year's (a deadline extended into next year must not read as this year's).
 */
export function formatDay(iso) {
  if (!iso) return "";
  const day = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? iso : japanDay(iso);
  if (day.slice(0, 4) !== japanDay(new Date().toISOString()).slice(0, 4)) return formatDate(day);
  return new Intl.DateTimeFormat(language() === "en" ? "en-GB" : "ja-JP", {
    timeZone: TOKYO, month: "long", day: "numeric",
  }).format(new Date(`${day}T00:00:00+09:00`));
}

/** The moment a view reflects: 「15時3分」 today, 「11月2日 15時3分」 another day. */
export function formatAsOf(iso) {
  if (japanDay(iso) !== japanDay(new Date().toISOString())) return formatOfflineTime(iso);
  const date = new Date(iso);
  if (language() === "en") {
    return new Intl.DateTimeFormat("en-GB", { timeZone: TOKYO, hour: "2-digit", minute: "2-digit" }).format(date);
  }
  const parts = japaneseParts(date);
  return `${Number(parts.hour)}時${Number(parts.minute)}分`;
}

function japaneseParts(date) {
  return Object.fromEntries(
    new Intl.DateTimeFormat("ja-JP", {
      timeZone: TOKYO, month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", hourCycle: "h23",
    }).formatToParts(date).map(({ type, value }) => [type, value]),
  );
}

/** When an answer kept on the device was seen: 「11月30日 15時3分」, or "30 November 15:03". */
export function formatOfflineTime(iso) {
  const date = new Date(iso);
  if (language() === "en") {
    return new Intl.DateTimeFormat("en-GB", {
      timeZone: TOKYO, month: "long", day: "numeric", hour: "2-digit", minute: "2-digit",
    }).format(date);
  }
  const parts = japaneseParts(date);
  return `${parts.month}月${parts.day}日 ${Number(parts.hour)}時${Number(parts.minute)}分`;
}
